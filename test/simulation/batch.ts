/** Runs many seeds and gathers the figures: scenarios, events, violations by `<invariant>/<cause>`. */
import { runScenario, type ScenarioResult } from './run';
import { violationId, type Violation } from './invariants';

export interface Found {
  readonly id: string;
  /** Scenarios in which it was found. */
  count: number;
  /** The first seeds that found it (a few). */
  readonly seeds: number[];
  /** The violation as the first seed found it. */
  readonly example: Violation;
}

export interface Summary {
  readonly firstSeed: number;
  scenarios: number;
  events: number;
  accepted: number;
  effects: number;
  invocations: number;
  deadLetters: number;
  /** Scenarios stopped by the horizon or the event cap with work left. */
  unfinished: number;
  failedScenarios: number;
  wallMs: number;
  readonly found: Map<string, Found>;
  readonly statuses: Record<string, number>;
}

const KEEP_SEEDS = 8;

export const runSeeds = async (firstSeed: number, count: number, onResult?: (r: ScenarioResult) => void): Promise<Summary> => {
  const started = performance.now();
  const summary: Summary = {
    firstSeed,
    scenarios: 0,
    events: 0,
    accepted: 0,
    effects: 0,
    invocations: 0,
    deadLetters: 0,
    unfinished: 0,
    failedScenarios: 0,
    wallMs: 0,
    found: new Map(),
    statuses: {},
  };
  for (let seed = firstSeed; seed < firstSeed + count; seed++) {
    const r = await runScenario(seed);
    summary.scenarios++;
    summary.events += r.events;
    summary.accepted += r.accepted;
    summary.effects += r.effects;
    summary.invocations += r.invocations;
    summary.deadLetters += r.deadLetters;
    if (r.ending !== 'quiet') summary.unfinished++;
    if (r.violations.length > 0) summary.failedScenarios++;
    for (const [status, n] of Object.entries(r.statuses)) summary.statuses[status] = (summary.statuses[status] ?? 0) + n;
    const seen = new Set<string>();
    for (const v of r.violations) {
      const id = violationId(v);
      if (seen.has(id)) continue;
      seen.add(id);
      const found = summary.found.get(id);
      if (found) {
        found.count++;
        if (found.seeds.length < KEEP_SEEDS) found.seeds.push(seed);
      } else summary.found.set(id, { id, count: 1, seeds: [seed], example: v });
    }
    onResult?.(r);
  }
  summary.wallMs = performance.now() - started;
  return summary;
};
