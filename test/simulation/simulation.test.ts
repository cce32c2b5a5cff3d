/**
 * The lifecycle, proven by deterministic simulation (test/simulation/README.md): every `npm test`
 * runs TEST_SCENARIOS seeded scenarios of the real consumer, intake and scheduler code against a
 * simulated clock, queue, provider and store, with crashes at every await, and checks the
 * invariants after each one. The figures are printed after the run (stderr).
 *
 * Known violations (config.ts) must still be found: when a fix makes one disappear, this test fails
 * until its entry is removed, so the list can only shrink.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSeeds, type Summary } from './batch';
import { FIRST_SEED, KNOWN_VIOLATIONS, TEST_SCENARIOS } from './config';
import { runScenario } from './run';
import { violationId } from './invariants';
import { focusTrace, formatFigures, formatFound, replayCommand } from './report';

const LAST_SEED = FIRST_SEED + TEST_SCENARIOS - 1;

describe(`lifecycle simulation: ${TEST_SCENARIOS} seeded scenarios (seeds ${FIRST_SEED}..${LAST_SEED})`, () => {
  let summary: Summary | undefined;

  beforeAll(async () => {
    summary = await runSeeds(FIRST_SEED, TEST_SCENARIOS);
  }, 240_000);

  afterAll(() => {
    if (!summary) return;
    process.stderr.write(['', `lifecycle simulation (${replayCommand(FIRST_SEED).replace(/--seed \d+/, '--seeds N')} for more):`, ...formatFigures(summary), ...formatFound(summary, KNOWN_VIOLATIONS), ''].join('\n'));
  });

  it(`runs all ${TEST_SCENARIOS} scenarios`, () => {
    expect(summary?.scenarios).toBe(TEST_SCENARIOS);
  });

  it('finds no violation outside KNOWN_VIOLATIONS (each one found is reported with its trace and the command that replays it)', async () => {
    const known = new Set(KNOWN_VIOLATIONS.map((k) => k.id));
    const fresh = [...(summary?.found.values() ?? [])].filter((f) => !known.has(f.id));
    const reports: string[] = [];
    for (const f of fresh) {
      const seed = f.seeds[0] ?? FIRST_SEED;
      const replay = await runScenario(seed, { trace: true });
      const v = replay.violations.find((x) => violationId(x) === f.id) ?? f.example;
      reports.push(
        [`${f.id} in ${f.count} scenario(s) (seeds ${f.seeds.join(', ')}); seed ${seed}: ${v.detail}`, ...focusTrace(replay.trace ?? [], v), `replay: ${replayCommand(seed)}`].join('\n'),
      );
    }
    expect(reports, reports.join('\n\n')).toEqual([]);
  });

  it.each(KNOWN_VIOLATIONS)('still finds known violation $id ($issue); remove it from KNOWN_VIOLATIONS once fixed', ({ id }) => {
    expect(summary?.found.has(id), `${id} is no longer found in ${TEST_SCENARIOS} scenarios: if it was fixed, remove it from KNOWN_VIOLATIONS (test/simulation/config.ts)`).toBe(true);
  });
});
