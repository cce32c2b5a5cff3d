/**
 * `npm run simulate -- --seeds N [--from S]`: runs N seeded scenarios of the deterministic lifecycle
 * simulation (test/simulation/README.md) and prints the figures and every violation, known or new,
 * with a seed that reproduces it. Exits 1 when a violation not in KNOWN_VIOLATIONS is found.
 *
 * `npm run simulate -- --seed S`: replays one scenario and prints its whole trace.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};

const { parseArgs } = await import('node:util');
const { runSeeds } = await import('./batch');
const { runScenario } = await import('./run');
const { FIRST_SEED, KNOWN_VIOLATIONS } = await import('./config');
const { focusTrace, formatFigures, formatFound, formatTraceEntry, replayCommand } = await import('./report');
const { violationId } = await import('./invariants');

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    from: { type: 'string', default: String(FIRST_SEED) },
    seed: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

const integer = (name: string, value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return n;
};

if (values.help) {
  console.log('npm run simulate -- [--seeds N] [--from FIRST_SEED]   run N scenarios\nnpm run simulate -- --seed S                      replay one, with its trace');
} else if (values.seed !== undefined) {
  const seed = integer('seed', values.seed);
  const result = await runScenario(seed, { trace: true });
  console.log(`scenario ${seed}: ${JSON.stringify(result.scenario)}`);
  for (const e of result.trace ?? []) console.log(formatTraceEntry(e));
  console.log(`${result.events} events; ended: ${result.ending}`);
  if (result.violations.length === 0) console.log('no violations');
  for (const v of result.violations) console.log(`VIOLATION ${violationId(v)}: ${v.detail}`);
  process.exitCode = result.violations.length > 0 ? 1 : 0;
} else {
  const first = integer('from', values.from);
  const count = integer('seeds', values.seeds);
  let shown = 0;
  const summary = await runSeeds(first, count, (r) => {
    if (r.seed % 1000 === 0) process.stderr.write(`… ${r.seed - first + 1}/${count}\n`);
  });
  for (const line of formatFigures(summary)) console.log(line);
  for (const line of formatFound(summary, KNOWN_VIOLATIONS)) console.log(line);
  const known = new Set(KNOWN_VIOLATIONS.map((k) => k.id));
  const fresh = [...summary.found.values()].filter((f) => !known.has(f.id));
  // A new failure: its focused trace, so it can be read without replaying first.
  for (const f of fresh) {
    const seed = f.seeds[0] ?? first;
    const replay = await runScenario(seed, { trace: true });
    const v = replay.violations.find((x) => violationId(x) === f.id) ?? f.example;
    console.log(`\nNEW ${f.id} in seed ${seed}: ${v.detail}\ntrace (the lines that concern it):`);
    for (const line of focusTrace(replay.trace ?? [], v)) console.log(`  ${line}`);
    console.log(`replay: ${replayCommand(seed)}`);
    shown++;
  }
  process.exitCode = shown > 0 ? 1 : 0;
}
