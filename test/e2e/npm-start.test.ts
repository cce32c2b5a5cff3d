/**
 * `npm start` as a user runs it: in the foreground without a terminal (stdin closed, output to a
 * pipe), serving a signed renewal, and leaving nothing running after Ctrl-C or SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports';
import { signedHeaders } from '../../local/webhook-client';
import { LOCAL_DEFAULTS } from '../../local/defaults';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const startStack = async () => {
  const ports = { PORT: await freePort(), LOCAL_DYNAMODB_PORT: await freePort(), LOCAL_SQS_PORT: await freePort(), LOCAL_SANDBOX_PORT: await freePort() };
  // The node process itself (not npm): a signal then reaches exactly the process under test.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('local stack is up')) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`no banner within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ports, output: () => output, exited };
};

describe('npm start', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('serves a signed renewal without a terminal and stops everything on %s', async (signal) => {
    const { child, ports, output, exited } = await startStack();
    expect(output()).toContain(`http://127.0.0.1:${ports.PORT}`);
    expect(output()).toContain('npm run call -- POST /v1/providers/pressone/renew-number');

    const body = JSON.stringify({ email: 'jane@example.com' });
    const res = await fetch(`http://127.0.0.1:${ports.PORT}/v1/providers/pressone/renew-number`, {
      method: 'POST',
      headers: signedHeaders(LOCAL_DEFAULTS.RENEWALS_WEBHOOK_SECRETS, body),
      body,
    });
    expect(res.status).toBe(202);
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(true);

    child.kill(signal);
    expect(await exited).toBe(0);
    // DynamoDB Local (a Java child), the SQS endpoint, the sandbox and the API: all gone.
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
  });
});
