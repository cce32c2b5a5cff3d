/**
 * The Lambda bundles exactly as `npx cdk synth` builds them: the CDK CLI runs in a child process
 * (as a user runs it on a fresh clone), so this worker's event loop stays free while esbuild
 * bundles; then each function's asset is read from the cloud assembly it wrote.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pascal } from '../../infra/naming';
import { repoRoot } from '../../infra/paths';
import { system, type FunctionDescription, type FunctionId } from '../../shared/system';
import type { TemplateJson } from './synth';
import { startFakeSecretsManager, type FakeSecretsManager } from '../support/fake-secrets-manager';

const functions = system.functions as readonly FunctionDescription[];

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end without blocking this process; kills it (and says so) past `timeoutMs`. */
const run = (command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });

let directory: string;
let template: TemplateJson & { Resources: Record<string, { Metadata?: Record<string, unknown> }> };

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'renewal-gateway-synth-'));
  const synth = await run(join(repoRoot, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '--output', directory], {
    cwd: repoRoot,
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    timeoutMs: 240_000,
  });
  if (synth.code !== 0) throw new Error(`cdk synth exited ${synth.code ?? synth.signal}:\n${synth.stderr}\n${synth.stdout}`);
  template = JSON.parse(readFileSync(join(directory, 'RenewalGateway-dev.template.json'), 'utf8')) as typeof template;
}, 300_000);

afterAll(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** The function's resource in the CLI's template, found by its construct path. */
const functionResource = (id: FunctionId) => {
  const found = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && String(r.Metadata?.['aws:cdk:path'] ?? '').includes(`/${pascal(id)}/`),
  );
  if (found.length !== 1) throw new Error(`expected one Lambda function for ${id} in the template, found ${found.length}`);
  return found[0] as NonNullable<(typeof found)[number]>;
};
/** Directory of a function's bundled asset in the cloud assembly. */
const assetDir = (id: FunctionId): string => {
  const path = functionResource(id).Metadata?.['aws:asset:path'];
  if (typeof path !== 'string') throw new Error(`${id} has no bundled asset`);
  return join(directory, path);
};
const envOf = (id: FunctionId): Record<string, unknown> =>
  (functionResource(id).Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

describe('bundles built by `cdk synth`', () => {
  const sources = new Map<FunctionId, string[]>();
  /** Every module in a bundle, from its source map (paths relative to the repository). */
  const sourcesOf = (id: FunctionId): string[] => {
    let list = sources.get(id);
    if (!list) {
      list = (JSON.parse(readFileSync(join(assetDir(id), 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
      sources.set(id, list);
    }
    return list;
  };
  const dependencies = Object.keys(
    (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies,
  );

  it.each(functions.map((f) => [f.id] as const))('%s is one minified ES module with a require shim', (id) => {
    const code = readFileSync(join(assetDir(id), 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __gatewayCreateRequire } from 'node:module';")).toBe(true);
    // An ES module exporting the handler (the runtime loads index.mjs as ESM; a minified name may hold `$`) ...
    expect(code).toMatch(/export\s*\{\s*[\w$]+ as handler\s*\}/);
    // ... minified: long lines on average (readable code averages well under 100 characters).
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
  });

  it.each(functions.map((f) => [f.id] as const))('%s bundles only the AWS SDK clients the project depends on', (id) => {
    const sdkPackages = new Set(
      sourcesOf(id)
        .map((s) => /node_modules\/(@aws-sdk\/client-[^/]+)\//.exec(s)?.[1])
        .filter((p): p is string => p !== undefined),
    );
    for (const pkg of sdkPackages) expect(dependencies, `${id} bundles ${pkg}`).toContain(pkg);
    expect(sourcesOf(id).some((s) => s.includes('node_modules/aws-sdk/'))).toBe(false);
    expect(sourcesOf(id).some((s) => s.includes('@aws-sdk/client-s3/'))).toBe(false);
  });

  it.each(functions.filter((f) => f.provider).map((f) => [f.id, f.provider] as const))(
    "%s bundles its own provider's call and no other provider's code",
    (id, provider) => {
      // The consumer entry imports shared/providers/<id>/call.ts with the id compiled in (CONSUMER_PROVIDER).
      const parts = sourcesOf(id).filter((s) => /shared\/providers\/[a-z0-9]+\/(?!index\.ts)/.test(s));
      expect(parts.some((s) => s.includes(`shared/providers/${provider}/call.ts`))).toBe(true);
      expect(parts.filter((s) => !s.includes(`shared/providers/${provider}/`))).toEqual([]);
    },
  );

  it.each(functions.filter((f) => f.files?.length).map((f) => [f.id, f.files ?? []] as const))('%s has its run-time files beside the bundle, as in the repository', (id, files) => {
    for (const file of files) expect(readFileSync(join(assetDir(id), file), 'utf8')).toBe(readFileSync(join(repoRoot, file), 'utf8'));
    // Copied, not bundled: the document is not parsed with the code at cold start.
    expect(readFileSync(join(assetDir(id), 'index.mjs'), 'utf8')).not.toContain('"jsonSchemaDialect"');
  });

  it.each(functions.map((f) => [f.id] as const))('%s bundle stays under 3 MB (tree-shaken)', (id) => {
    expect(statSync(join(assetDir(id), 'index.mjs')).size).toBeLessThan(3 * 1024 * 1024);
  });

  describe('cold start with the environment the stack gives', () => {
    let secretsManager: FakeSecretsManager;
    /** Secret values in the shapes the handlers accept (webhook secrets are whsec_<base64>). */
    const fakeSecretValue = (secretId: string): string =>
      secretId.includes('WEBHOOK') ? `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}` : 'local-test-value';

    beforeAll(async () => {
      // The handlers fetch their secrets at cold start.
      secretsManager = await startFakeSecretsManager(fakeSecretValue);
    });

    afterAll(() => secretsManager?.close());

    /** Template environment with references replaced by plausible local values. */
    const localEnv = (id: FunctionId): Record<string, string> => {
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(envOf(id))) {
        if (typeof value === 'string') env[key] = value;
        else if (key.endsWith('_SECRET_ARN')) env[key] = `arn:aws:secretsmanager:us-east-1:000000000000:secret:${key}`;
        else if (key.endsWith('_QUEUE_URL')) env[key] = 'http://127.0.0.1:9/000000000000/queue';
        else env[key] = `local-${key.toLowerCase()}`;
      }
      return env;
    };

    it.each(functions.map((f) => [f.id] as const))('%s loads under Node and exports a handler', async (id) => {
      const url = new URL(`file://${join(assetDir(id), 'index.mjs')}`).href;
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--enable-source-maps', '--input-type=module', '-e', `const m = await import(${JSON.stringify(url)}); process.stdout.write(typeof m.handler);`],
          {
            env: {
              PATH: process.env.PATH ?? '',
              ...localEnv(id),
              AWS_REGION: 'us-east-1',
              AWS_ACCESS_KEY_ID: 'local',
              AWS_SECRET_ACCESS_KEY: 'local',
              AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
              AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
              POWERTOOLS_LOG_LEVEL: 'ERROR',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
            timeout: 20_000,
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('function');
      expect(result.code).toBe(0);
    });
  });
});

