/** How the simulation reports: figures, violations against the known list, traces, replay commands. */
import type { TraceEntry } from './sim/kernel';
import { elapsed } from './sim/clock';
import type { Violation } from './invariants';
import type { Summary } from './batch';
import type { KnownViolation } from './config';

export const replayCommand = (seed: number): string => `npm run simulate -- --seed ${seed}`;

export const formatTraceEntry = (e: TraceEntry): string => `${elapsed(e.at).padStart(13)}  ${e.actor.padEnd(9)} ${e.text}`;

const ALWAYS = /DIES|REFUSED|LOCKED|EFFECT|redrive|DLQ|sender gives up/;

/**
 * The trace lines that concern a violation: those naming its renewals, provider keys or actors
 * (and every crash, refusal and effect), in order. A whole trace can run to thousands of lines.
 */
export const focusTrace = (trace: readonly TraceEntry[], violation: Violation, limit = 250): string[] => {
  const tokens = new Set<string>();
  for (const m of violation.detail.matchAll(/rnw_[a-z0-9]+|(?:pressone|pelcro|punchh|digitalriver):[^\s;,)]+|\b(?:inv|in|sch)\d+\b/g)) tokens.add(m[0]);
  const wanted = (e: TraceEntry) => tokens.has(e.actor) || ALWAYS.test(e.text) || [...tokens].some((t) => e.text.includes(t));
  const all = violation.invariant === 'refused-logins-per-pause-window' ? trace.filter((e) => /REFUSED|LOCKED|pause|invoked|DIES/.test(e.text)) : trace.filter(wanted);
  const lines = all.map(formatTraceEntry);
  return lines.length <= limit ? lines : [...lines.slice(0, limit), `… ${lines.length - limit} more line(s): replay the seed for all of them`];
};

export const formatFigures = (s: Summary): string[] => {
  const perSecond = s.wallMs > 0 ? Math.round((s.scenarios / s.wallMs) * 1000) : 0;
  const statuses = Object.entries(s.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
  return [
    `scenarios: ${s.scenarios} (seeds ${s.firstSeed}..${s.firstSeed + s.scenarios - 1}) in ${(s.wallMs / 1000).toFixed(1)} s: ${perSecond} scenarios/s, ` +
      `${s.events} events (${Math.round(s.events / Math.max(1, s.scenarios))} per scenario)`,
    `renewals accepted: ${s.accepted}; consumer invocations: ${s.invocations}; provider effects: ${s.effects}; dead letters: ${s.deadLetters}; ` +
      `scenarios stopped before coming to rest: ${s.unfinished}`,
    `final statuses: ${statuses}`,
    `scenarios with a violation: ${s.failedScenarios}`,
  ];
};

export const formatFound = (s: Summary, known: readonly KnownViolation[]): string[] => {
  const knownIds = new Set(known.map((k) => k.id));
  const lines: string[] = [];
  const found = [...s.found.values()].sort((a, b) => a.id.localeCompare(b.id));
  for (const f of found) {
    lines.push(
      `${knownIds.has(f.id) ? 'KNOWN' : 'NEW  '} ${f.id}: ${f.count} scenario(s), e.g. seeds ${f.seeds.join(', ')}`,
      `        ${f.example.detail}`,
      `        replay: ${replayCommand(f.seeds[0] ?? s.firstSeed)}`,
    );
  }
  for (const k of known) if (!s.found.has(k.id)) lines.push(`NOT FOUND (fixed? remove it from KNOWN_VIOLATIONS) ${k.id}`);
  if (lines.length === 0) lines.push('no violations');
  return lines;
};
