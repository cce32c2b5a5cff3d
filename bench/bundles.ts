/**
 * Lambda bundle size and cold-start module load per function, against a bare handler that imports
 * only the same AWS SDK clients, both bundled the way the CDK stack bundles them (esbuild, ESM,
 * minified, node22, SDK included and tree-shaken).
 *
 * Loads are timed in fresh Node processes, the function's bundle and its bare handler alternately,
 * so a machine busy with other work slows both alike; the ratio of the medians is the figure to
 * compare (BENCH_LOAD_RUNS, default 11, sets the number of pairs). Each load is measured twice:
 * wall-clock time, and the CPU time the process spent (process.cpuUsage), which waiting for a
 * busy machine's cores does not inflate: on a shared machine the CPU ratio is the steadier one.
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ENABLED_PROVIDERS, EVENT_BUS_NAME_ENV, PROVIDER_CONFIG, consumerBundleDefine, system, type FunctionDescription } from '../shared/system';
import { fmt, median, table } from './stats';

const CLIENTS: Record<string, string[]> = {
  intake: ['DynamoDBClient:@aws-sdk/client-dynamodb', 'SQSClient:@aws-sdk/client-sqs', 'SecretsManagerClient:@aws-sdk/client-secrets-manager'],
  status: ['DynamoDBClient:@aws-sdk/client-dynamodb', 'SecretsManagerClient:@aws-sdk/client-secrets-manager'],
  schedules: ['DynamoDBClient:@aws-sdk/client-dynamodb', 'SecretsManagerClient:@aws-sdk/client-secrets-manager'],
  scheduler: ['DynamoDBClient:@aws-sdk/client-dynamodb', 'SQSClient:@aws-sdk/client-sqs'],
  operator: ['DynamoDBClient:@aws-sdk/client-dynamodb', 'SQSClient:@aws-sdk/client-sqs', 'SecretsManagerClient:@aws-sdk/client-secrets-manager'],
  consumer: ['DynamoDBClient:@aws-sdk/client-dynamodb', 'SQSClient:@aws-sdk/client-sqs', 'SecretsManagerClient:@aws-sdk/client-secrets-manager'],
  // SQS: the fan-out of each new event onto the delivery queue.
  events: ['DynamoDBClient:@aws-sdk/client-dynamodb', 'EventBridgeClient:@aws-sdk/client-eventbridge', 'SQSClient:@aws-sdk/client-sqs'],
  delivery: ['DynamoDBClient:@aws-sdk/client-dynamodb', 'SQSClient:@aws-sdk/client-sqs', 'EventBridgeClient:@aws-sdk/client-eventbridge'],
  sweeper: ['DynamoDBClient:@aws-sdk/client-dynamodb', 'SQSClient:@aws-sdk/client-sqs'],
};

const bundle = async (entry: string, outfile: string, define: Record<string, string> = {}): Promise<number> => {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    define,
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    logLevel: 'silent',
    // The bare handlers are written to a temp folder; resolve their imports from this project.
    nodePaths: [resolve('node_modules')],
  });
  return statSync(outfile).size;
};

interface Load {
  /** Wall-clock ms to import the bundle (module load + top-level init). */
  readonly wall: number;
  /** CPU ms the process spent meanwhile (user + system, all threads). */
  readonly cpu: number;
}

/** One import of the bundle in a fresh node process. */
const loadOnce = (file: string): Load => {
  // Every configuration name the functions need, from the description (values go nowhere).
  const env = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    TABLE_NAME: 't',
    RENEWALS_WEBHOOK_SECRETS: `whsec_${Buffer.from('bench-secret').toString('base64')}`,
    RENEWALS_READ_TOKENS: 't',
    [EVENT_BUS_NAME_ENV]: 'bus',
    RENEWALS_OPERATOR_TOKENS: 'bench=bench-operator-token',
    [system.deliveryQueue.urlEnv]: 'http://127.0.0.1:1/000000000000/delivery',
    ...Object.fromEntries(system.queues.map((q) => [q.urlEnv, 'http://127.0.0.1:1/000000000000/q'])),
    ...Object.fromEntries(system.queues.flatMap((q) => [[q.dlqUrlEnv, 'http://127.0.0.1:1/000000000000/dlq'], [q.dlqArnEnv, 'arn:aws:sqs:us-east-1:000000000000:dlq'], [q.arnEnv, 'arn:aws:sqs:us-east-1:000000000000:q']])),
    ...Object.fromEntries(
      ENABLED_PROVIDERS.flatMap((p) => [[PROVIDER_CONFIG[p].baseUrlEnv, 'http://127.0.0.1:1'], ...PROVIDER_CONFIG[p].secretEnvs.map((n) => [n, 'k'])]),
    ),
  };
  const script =
    `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); ` +
    `const u = process.cpuUsage(c); console.log(performance.now() - t, (u.user + u.system) / 1000);`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`loading ${file} failed: ${out.stderr.trim().split('\n').filter((l) => /Error/.test(l)).slice(-1)[0] ?? 'see stderr'}`);
  const [wall, cpu] = out.stdout.trim().split(' ').map(Number);
  return { wall: wall ?? Number.NaN, cpu: cpu ?? Number.NaN };
};

/** Median loads of a bundle and of its bare handler, timed alternately. */
const loadPair = (file: string, bare: string, runs: number): { load: Load; bareLoad: Load } => {
  const loads: Load[] = [];
  const bareLoads: Load[] = [];
  for (let i = 0; i < runs; i++) {
    loads.push(loadOnce(file));
    bareLoads.push(loadOnce(bare));
  }
  const medians = (list: Load[]): Load => ({ wall: median(list.map((l) => l.wall)), cpu: median(list.map((l) => l.cpu)) });
  return { load: medians(loads), bareLoad: medians(bareLoads) };
};

export const benchBundles = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  const runs = Number(process.env.BENCH_LOAD_RUNS ?? 11);
  const loadBefore = loadavg()[0] ?? Number.NaN;
  try {
    const rows: Array<Record<string, string>> = [];
    // BENCH_FUNCTIONS=status,operator measures only those (while working on one function's load).
    const only = process.env.BENCH_FUNCTIONS?.split(',').map((f) => f.trim()).filter((f) => f.length > 0);
    for (const fn of system.functions as readonly FunctionDescription[]) {
      if (only && !only.includes(fn.id)) continue;
      const kind = fn.id.startsWith('consumer-') ? 'consumer' : fn.id;
      const clients = CLIENTS[kind];
      if (!clients) throw new Error(`bench/bundles.ts: list the SDK clients of ${fn.id}`);
      const bare = join(dir, `${fn.id}-bare.ts`);
      writeFileSync(
        bare,
        `${clients.map((c) => `import { ${c.split(':')[0]} } from '${c.split(':')[1]}';`).join('\n')}\n` +
          `const clients = [${clients.map((c) => `new ${c.split(':')[0]}({})`).join(', ')}];\n` +
          `export const handler = async () => clients.length;\n`,
      );
      const real = await bundle(resolve(fn.entry), join(dir, `${fn.id}.mjs`), consumerBundleDefine(fn));
      const bareSize = await bundle(bare, join(dir, `${fn.id}-bare.mjs`));
      const { load, bareLoad } = loadPair(join(dir, `${fn.id}.mjs`), join(dir, `${fn.id}-bare.mjs`), runs);
      rows.push({
        function: fn.id,
        'bundle KiB': fmt(real / 1024),
        'bare KiB': fmt(bareSize / 1024),
        [`load ms (median of ${runs})`]: fmt(load.wall),
        'bare load ms': fmt(bareLoad.wall),
        'load / bare': fmt(load.wall / bareLoad.wall, 2),
        'load CPU ms': fmt(load.cpu),
        'bare CPU ms': fmt(bareLoad.cpu),
        'CPU / bare': fmt(load.cpu / bareLoad.cpu, 2),
      });
    }
    console.log('\nLambda bundles (esbuild ESM, minified, SDK v3 bundled and tree-shaken), module load in a fresh Node process:\n');
    console.log(table(rows));
    console.log(`\n${runs} alternating loads of each bundle and its bare handler; 1-minute load average ${fmt(loadBefore, 2)} before, ${fmt(loadavg()[0] ?? Number.NaN, 2)} after.`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
