/**
 * `npm start`: the whole renewal gateway on this machine, in the foreground.
 * Stops every child process on Ctrl-C, SIGINT, SIGTERM or SIGHUP; runs without a terminal too.
 *
 * Supervisors (process managers, containers, scripts) signal one PID, usually npm's, not the whole
 * process group as a terminal's Ctrl-C does. So that any of SIGINT, SIGTERM or SIGHUP to that one
 * PID stops everything, the start script is `exec node --import tsx local/main.ts`:
 * - `exec`: npm runs scripts with `sh -c`, and dash (Debian's sh) does not exec the last command
 *   itself. That shell swallowed a SIGINT forwarded by npm (it waits for its child, which never
 *   got one), and died of a forwarded SIGTERM, after which npm re-raised it on itself and exited,
 *   orphaning the stack. With `exec` npm's child is this process.
 * - `node --import tsx` rather than the `tsx` CLI: one process fewer. The CLI relays SIGINT and
 *   SIGTERM to its node child but not SIGHUP, which killed it and orphaned this process.
 * - `exec` needs a POSIX shell, as the watchdog in processes.ts does already.
 * npm forwards SIGINT and SIGTERM to its child; it does not forward SIGHUP, which kills npm, and
 * nothing can forward a SIGKILL. For those, this process watches its parent: once reparented (the
 * parent died) it stops the stack as on a signal, within a second. A terminal's Ctrl-C reaches
 * this process twice (from the terminal and relayed by npm), hence the grace for a repeat below.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { startLocalStack, type LocalStack } from './stack';
import { LOCAL_DEFAULTS } from './defaults';
import { ConfigError, optionalInt } from '../shared/config';
import { ENABLED_PROVIDERS, PROVIDER_CONFIG, functionDescription } from '../shared/system';

const level = (process.env.LOG_LEVEL ?? 'INFO').toUpperCase();

const port = (name: keyof typeof LOCAL_DEFAULTS & `${string}PORT`): number => optionalInt(process.env, name, LOCAL_DEFAULTS[name], 0, 65_535);

/** LOCAL_SCHEDULER_INTERVAL_SECONDS: how often the local scheduler runs (0: on demand only); default the rule's rate. */
const schedulerSeconds = (): number =>
  optionalInt(process.env, 'LOCAL_SCHEDULER_INTERVAL_SECONDS', functionDescription('scheduler').runsEvery?.seconds ?? 60, 0);

/** LOCAL_SWEEPER_INTERVAL_SECONDS: how often the local sweeper runs (0: on demand only); default its rule's rate. */
const sweeperSeconds = (): number => optionalInt(process.env, 'LOCAL_SWEEPER_INTERVAL_SECONDS', functionDescription('sweeper').runsEvery?.seconds ?? 300, 0);

/** Shows a configured value only when it is the published local default; never a real secret. */
const shown = (stack: LocalStack, name: string): string => {
  const local = (LOCAL_DEFAULTS as Record<string, string | number>)[name];
  return stack.env[name] === local ? `${name}=${local}` : `${name} (set from your environment; not shown)`;
};

const banner = (stack: LocalStack, schedulerEvery: number, sweeperEvery: number): string => {
  const e = stack.env;
  return `
  Renewal gateway — local stack is up (Ctrl-C stops everything)

  HTTP API            ${stack.apiUrl}
  DynamoDB Local      ${stack.dynamoEndpoint}   table ${stack.tableName}
  SQS endpoint        ${stack.sqsEndpoint}   ${Object.entries(stack.queues).map(([p, q]) => `${p}: ${q.url}`).join(', ')}
  Provider sandboxes  (each: GET /_sandbox/calls, POST /_sandbox/faults; the consumer calls the base URL)
${ENABLED_PROVIDERS.map((p) => `    ${p.padEnd(14)} ${stack.sandboxes[p].url}   base URL ${e[PROVIDER_CONFIG[p].baseUrlEnv]}`).join('\n')}

  Webhook secret      ${shown(stack, 'RENEWALS_WEBHOOK_SECRETS')}
  Read token          ${shown(stack, 'RENEWALS_READ_TOKENS')}
  Operator token      ${shown(stack, 'RENEWALS_OPERATOR_TOKENS')}
  Provider keys       ${ENABLED_PROVIDERS.flatMap((p) => PROVIDER_CONFIG[p].secretEnvs.map((n) => shown(stack, n))).join('\n                      ')}
  (local development values; set the variables to use others, and \`npm run call\` uses them too)

  Scheduler           every ${schedulerEvery === 0 ? '— (on demand only)' : `${schedulerEvery} s`}; run it now: npm run call -- POST /_local/scheduler/run
  Sweeper             every ${sweeperEvery === 0 ? '— (on demand only)' : `${sweeperEvery} s`}, re-queues renewals still for ${stack.env.SWEEPER_STALE_AFTER_SECONDS ?? 900} s; run it now: npm run call -- POST /_local/sweeper/run

  Send a first signed renewal:
    npm run call -- POST /v1/providers/pressone/renew-number '{"email":"jane@example.com"}'
  Then read it (use the id it printed):
    npm run call -- GET /v1/renewals/<id>
  What needs a person, and the providers:
    npm run ops -- inbox        npm run ops -- providers
  Receive the events, pushed and signed (registers an endpoint until Ctrl-C):
    npm run ops -- listen --port 4000
`;
};

/** How long stopping may take before we exit anyway (the exit hook SIGKILLs the children). */
const STOP_DEADLINE_MS = 8_000;
/** How often we look whether our parent (npm, a shell, a supervisor) is still there. */
const PARENT_POLL_MS = 500;

const main = async (): Promise<void> => {
  // Set once started; the signal handlers may run before that.
  const running: { stack?: LocalStack } = {};
  let stopping = false;
  let firstSignalAt = 0;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // Ctrl-C reaches us twice (from the terminal and relayed by npm): only a later one forces.
      if (Date.now() - firstSignalAt < 1_000) return;
      console.error(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    firstSignalAt = Date.now();
    console.log(`\n${signal}: stopping the local stack…`);
    setTimeout(() => {
      console.error(`stopping took over ${STOP_DEADLINE_MS / 1000} s: exiting now`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    void (running.stack?.stop() ?? Promise.resolve()).then(
      () => {
        console.log('stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('stopping failed:', error);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
  // process.ppid is read afresh each time: it changes when the parent dies and we are reparented.
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    shutdown(`parent process ${parent} exited`);
  }, PARENT_POLL_MS).unref();

  const schedulerEvery = schedulerSeconds();
  const sweeperEvery = sweeperSeconds();
  const stack = await startLocalStack({
    apiPort: port('PORT'),
    dynamoPort: port('LOCAL_DYNAMODB_PORT'),
    sqsPort: port('LOCAL_SQS_PORT'),
    sandboxPort: port('LOCAL_SANDBOX_PORT'),
    env: process.env,
    schedulerIntervalMs: schedulerEvery * 1000,
    sweeperIntervalMs: sweeperEvery * 1000,
    logLevel: (['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'].includes(level) ? level : 'INFO') as 'INFO',
  });
  running.stack = stack;
  if (stopping) {
    await stack.stop();
    return;
  }
  console.log(banner(stack, schedulerEvery, sweeperEvery));
};

main().catch((error: unknown) => {
  console.error('the local stack could not start:', error instanceof Error ? error.message : error);
  // A bad setting is the caller's to fix (exit 2); anything else is a failure to start (exit 1).
  process.exit(error instanceof ConfigError ? 2 : 1);
});
