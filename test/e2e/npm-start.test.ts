/**
 * `npm start` as a user or a supervisor runs it: without a terminal (stdin closed, output to a
 * pipe), serving a signed renewal, and leaving nothing behind (no listening port, no process, no
 * DynamoDB Local Java) within 10 s of a signal to the npm PID alone (what process managers,
 * containers and scripts send), to the node process npm runs, to the whole process group (a
 * terminal's Ctrl-C), or of npm being SIGKILLed.
 *
 * npm runs in a process group of its own (detached), as under a supervisor. The signals under test
 * go to one PID with process.kill(pid, signal); the group is only signalled by the Ctrl-C case and
 * by the cleanup, which SIGKILLs whatever is left of it after every test, passed or failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports';
import { signedHeaders } from '../../local/webhook-client';
import { LOCAL_DEFAULTS } from '../../local/defaults';
import { ENABLED_PROVIDERS } from '../../shared/system';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Starting takes ~5 s on an idle 2-core machine (most of it Java); leave room for a loaded one. */
const START_DEADLINE_MS = 28_000;
/** What the issue asks: everything gone within 10 s of the signal. */
const STOP_DEADLINE_MS = 10_000;
const TEST_TIMEOUT_MS = 45_000;

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly state: string;
  readonly args: string;
}

/** Every live process on the machine (zombies hold no port and run nothing: left out). */
const processes = (): Proc[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        // After "pid (comm) ": state ppid pgrp …; comm may hold spaces and parentheses.
        const [state = '', ppid = '0', pgid = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim();
        return state === 'Z' ? [] : [{ pid: Number(d), ppid: Number(ppid), pgid: Number(pgid), state, args }];
      } catch {
        return []; // gone meanwhile
      }
    });

/** DynamoDB Local on `port` (the Java process and its watchdog shells), wherever it ended up. */
const dynamoProcesses = (port: number): Proc[] =>
  processes().filter((p) => p.args.includes('DynamoDBLocal.jar') && new RegExp(`-port ${port}(\\s|$)`).test(p.args));

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const until = async (condition: () => boolean | Promise<boolean>, deadlineMs: number): Promise<boolean> => {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
};

interface Started {
  readonly npm: ChildProcess;
  readonly dynamoPort: number;
}
const started: Started[] = [];

afterEach(() => {
  for (const { npm, dynamoPort } of started.splice(0)) {
    const leftovers = [...processes().filter((p) => p.pgid === npm.pid), ...dynamoProcesses(dynamoPort)];
    for (const p of leftovers) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    npm.stdout?.destroy();
    npm.stderr?.destroy();
  }
});

const startNpm = async () => {
  const ports = { PORT: await freePort(), LOCAL_DYNAMODB_PORT: await freePort(), LOCAL_SQS_PORT: await freePort() };
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    // The sandboxes take free ports (0); the banner says which.
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), LOCAL_SANDBOX_PORT: '0', LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = npm.pid;
  if (pid === undefined) throw new Error('npm start did not start');
  started.push({ npm, dynamoPort: ports.LOCAL_DYNAMODB_PORT });
  let output = '';
  npm.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  npm.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  npm.once('exit', (code, signal) => (exit = { code, signal }));

  const up = await until(() => exit !== undefined || output.includes('local stack is up'), START_DEADLINE_MS);
  if (exit) throw new Error(`npm start exited early (${JSON.stringify(exit)}):\n${output}`);
  if (!up) throw new Error(`no banner within ${START_DEADLINE_MS / 1000} s:\n${output}`);

  // Every port of the stack, from the banner: the API, DynamoDB Local, SQS and one per sandbox.
  const stackPorts = [...new Set([...output.matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])))];
  // npm's child is the node process running local/main.ts (the start script execs it).
  const node = processes().find((p) => p.ppid === pid && p.args.includes('local/main.ts'));
  return { npm, pid, ports, stackPorts, node, output: () => output, exit: () => exit };
};

type Stack = Awaited<ReturnType<typeof startNpm>>;

const servesARenewal = async (stack: Stack): Promise<void> => {
  const { ports, stackPorts } = stack;
  expect(stack.output()).toContain(`http://127.0.0.1:${ports.PORT}`);
  expect(stack.output()).toContain('npm run call -- POST /v1/providers/pressone/renew-number');
  expect(stackPorts).toEqual(expect.arrayContaining(Object.values(ports)));
  expect(stackPorts).toHaveLength(Object.keys(ports).length + ENABLED_PROVIDERS.length);
  expect(stack.node, 'npm start runs node on local/main.ts as its direct child').toBeDefined();
  expect(dynamoProcesses(ports.LOCAL_DYNAMODB_PORT).some((p) => p.args.startsWith('java '))).toBe(true);

  const body = JSON.stringify({ email: 'jane@example.com' });
  const res = await fetch(`http://127.0.0.1:${ports.PORT}/v1/providers/pressone/renew-number`, {
    method: 'POST',
    headers: signedHeaders(LOCAL_DEFAULTS.RENEWALS_WEBHOOK_SECRETS, body),
    body,
  });
  expect(res.status).toBe(202);
  for (const port of stackPorts) expect(await portOpen(port), `port ${port} open`).toBe(true);
};

/** Waits up to 10 s for npm to exit, every port to close and every process of the stack to end. */
const expectEverythingStopped = async (stack: Stack): Promise<void> => {
  const { pid, stackPorts, ports } = stack;
  const openPorts = async () => (await Promise.all(stackPorts.map(async (p) => ((await portOpen(p)) ? [p] : [])))).flat();
  const left = () => [...processes().filter((p) => p.pgid === pid), ...dynamoProcesses(ports.LOCAL_DYNAMODB_PORT)];
  await until(async () => stack.exit() !== undefined && left().length === 0 && (await openPorts()).length === 0, STOP_DEADLINE_MS);

  const context = `\n--- output ---\n${stack.output()}`;
  expect(stack.exit(), `npm exited${context}`).toBeDefined();
  expect(await openPorts(), `ports still open${context}`).toEqual([]);
  expect(left().map((p) => `${p.pid} ${p.args}`), `processes left${context}`).toEqual([]);
  expect(stack.output()).toContain('stopped.');
};

describe('npm start', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    'serves a signed renewal without a terminal and stops everything within 10 s on %s to the npm PID alone',
    async (signal) => {
      const stack = await startNpm();
      await servesARenewal(stack);

      process.kill(stack.pid, signal);
      await expectEverythingStopped(stack);
      // npm forwards SIGINT and SIGTERM to the stack, which stops cleanly; SIGHUP kills npm
      // itself, and the stack stops on seeing its parent gone.
      if (signal !== 'SIGHUP') expect(stack.exit()).toEqual({ code: 0, signal: null });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stops everything within 10 s on SIGHUP to the node process npm runs',
    async () => {
      const stack = await startNpm();
      await servesARenewal(stack);

      // Never pid 0 (that would be the test's own process group).
      if (!stack.node) throw new Error(`no node child of npm found:\n${stack.output()}`);
      process.kill(stack.node.pid, 'SIGHUP');
      await expectEverythingStopped(stack);
      expect(stack.exit()).toEqual({ code: 0, signal: null });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stops by itself within 10 s when npm is SIGKILLed',
    async () => {
      const stack = await startNpm();
      await servesARenewal(stack);

      process.kill(stack.pid, 'SIGKILL');
      await expectEverythingStopped(stack);
      expect(stack.output()).toContain('exited: stopping the local stack');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stops everything on Ctrl-C (SIGINT to the whole process group) and exits 0 though the signal arrives twice',
    async () => {
      const stack = await startNpm();
      await servesARenewal(stack);

      // What a terminal does: every process of the group gets SIGINT, and npm relays another.
      process.kill(-stack.pid, 'SIGINT');
      await expectEverythingStopped(stack);
      expect(stack.exit()).toEqual({ code: 0, signal: null });
      expect(stack.output()).not.toContain('again: exiting now');
    },
    TEST_TIMEOUT_MS,
  );
});
