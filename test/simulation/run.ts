/**
 * Runs one scenario: generate it from its seed, build its world on the simulated clock, run until
 * nothing is left to happen (or the horizon), check the invariants.
 */
import { Kernel, type TraceEntry } from './sim/kernel';
import { withVirtualTime } from './sim/virtual-time';
import { generateScenario, type Scenario } from './scenario';
import { SIMULATION_START } from './sim/clock';
import { checkInvariants, type Ending, type Violation } from './invariants';
import { deploymentOf } from './world/production';
import { World, type RenewalStoreFactory } from './world/world';

/** Simulated time a scenario may take: retries, pauses and redrives all fit well inside. */
export const HORIZON_MS = 3 * 86_400_000;
/** Far more than any scenario needs (at most about a thousand): more means something loops. */
export const MAX_EVENTS = 10_000;

export interface ScenarioResult {
  readonly seed: number;
  readonly scenario: Scenario;
  readonly violations: readonly Violation[];
  readonly events: number;
  /** How the run ended: nothing left to do, the horizon, or too many events. */
  readonly ending: Ending;
  readonly accepted: number;
  readonly effects: number;
  readonly invocations: number;
  readonly deadLetters: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly trace?: readonly TraceEntry[];
}

export interface RunOptions {
  /** Record a trace of every event. */
  readonly trace?: boolean;
  /** Replaces the in-memory renewal store (to show that the invariants catch a broken one). */
  readonly renewalStore?: RenewalStoreFactory;
}

export const runScenario = async (seed: number, options: RunOptions = {}): Promise<ScenarioResult> => {
  const scenario = generateScenario(seed);
  const deployment = await deploymentOf(scenario.provider);
  const kernel = new Kernel(seed, SIMULATION_START, options.trace ?? false);
  return withVirtualTime(kernel, async () => {
    const world = new World(kernel, scenario, deployment, options.renewalStore);
    await world.start();
    const ending = await kernel.run(SIMULATION_START + HORIZON_MS, MAX_EVENTS);
    const statuses: Record<string, number> = {};
    for (const r of world.table.renewals.values()) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    return {
      seed,
      scenario,
      violations: checkInvariants(world, ending),
      events: kernel.events,
      ending,
      accepted: world.accepted.size,
      effects: world.provider.effects.length,
      invocations: world.mapping.invocations,
      deadLetters: world.queue.dlq.length,
      statuses,
      ...(kernel.trace ? { trace: kernel.trace } : {}),
    };
  });
};
