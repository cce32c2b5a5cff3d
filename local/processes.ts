/**
 * Child processes of the local stack and of tests, stopped on every way out:
 * normal exit, Ctrl-C (SIGINT), SIGTERM, SIGHUP, and an uncaught error.
 * Each child is also started behind a watchdog shell that kills it when our stdin pipe to it
 * closes, so even a parent killed with SIGKILL leaves nothing behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const children = new Set<ChildProcess>();
let hooksInstalled = false;

const killAll = (signal: NodeJS.Signals = 'SIGTERM'): void => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
};

const installHooks = (): void => {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => killAll('SIGKILL'));
};

/** Watchdog: runs the command in the background and kills it when stdin reaches EOF or on TERM/INT. */
// A background job's stdin is /dev/null in a non-interactive shell, so the pipe is kept on fd 3.
const WATCHDOG = [
  'exec 3<&0',
  'trap \'kill -TERM "$c" 2>/dev/null; wait "$c"; exit 0\' TERM INT HUP',
  '"$@" </dev/null & c=$!',
  '(cat <&3 >/dev/null; kill -TERM "$c" 2>/dev/null) &',
  'wait "$c"',
].join('\n');

export const spawnGuarded = (command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess => {
  installHooks();
  const child = spawn('sh', ['-c', WATCHDOG, 'watchdog', command, ...args], {
    ...options,
    stdio: ['pipe', options.stdio === 'inherit' ? 'inherit' : 'pipe', options.stdio === 'inherit' ? 'inherit' : 'pipe'],
    detached: false,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
};

/** Stops a guarded child and waits for it to exit (SIGKILL after the grace period). */
export const stopChild = async (child: ChildProcess, graceMs = 5_000): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
};
