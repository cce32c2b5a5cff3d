/** A local stack for one e2e test file: free ports, the run's DynamoDB Local, its own table and queues. */
import { inject } from 'vitest';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';
import { uniquePrefix } from './tables';

export const startTestStack = (label: string, options: Partial<LocalStackOptions> = {}): Promise<LocalStack> =>
  startLocalStack({
    apiPort: 0,
    sqsPort: 0,
    sandboxPort: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    namePrefix: uniquePrefix(label),
    logLevel: 'SILENT',
    // The sweeper only when a test asks for it (runSweeper): its timer would move renewals under a test.
    sweeperIntervalMs: 0,
    ...options,
  });
