/**
 * The SQS batch side of a consumer: parses each record at the boundary, reserves rate-limit slots
 * for the batch in one write, and reports partial batch failures, so one bad or failing record
 * never makes Lambda redeliver the others.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { QueuedRenewal } from '../domain/renewal';
import type { queuedRenewalSchema } from '../domain/queued-renewal';
import type { Limiter } from '../adapters/rate-limiter';
import type { ProviderConfig, ProviderModule } from '../providers/types';
import { addLambdaContext } from '../logger';
import { processRenewal, type ConsumerDeps } from './engine';

type BatchDeps = ConsumerConfig & ConsumerDeps;

export class PoisonMessageError extends Error {
  constructor(messageId: string, detail: string) {
    super(`message ${messageId} is not a queued renewal: ${detail}`);
    this.name = 'PoisonMessageError';
  }
}

/** What a consumer is configured with at cold start: everything but the provider's code. */
export interface ConsumerConfig extends Omit<ConsumerDeps, 'provider'> {
  /** The provider's request rate, shared by every consumer instance; absent when unlimited. */
  readonly limiter?: Limiter;
  /** How long a call may wait for its slot and still finish before the function times out. */
  readonly maxSlotWaitMs: number;
  /** The provider configuration with its secrets' current values, read at every batch; `config` when absent. */
  readonly currentConfig?: () => Promise<ProviderConfig>;
}

type Parsed = { readonly message: QueuedRenewal } | { readonly poison: string };

const parse = (schema: typeof queuedRenewalSchema, record: SQSRecord): Parsed => {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    return { poison: 'body is not JSON' };
  }
  const parsed = schema.safeParse(body);
  return parsed.success ? { message: parsed.data } : { poison: parsed.error.issues.map((i) => i.path.join('.')).join(', ') };
};

/** What the first batch loads: the provider's code and the message check. */
interface Loaded {
  readonly provider: ProviderModule;
  readonly schema: typeof queuedRenewalSchema;
}

/**
 * The consumer's batch handler. The provider's code (`loadProvider`: its `call.ts`) and the
 * message check are loaded on the first batch, not at cold start: a consumer builds its
 * provider's schemas when it first calls the provider.
 */
export const createBatchHandler = (coldStartDeps: ConsumerConfig, loadProvider: () => Promise<ProviderModule>) => {
  const processor = new BatchProcessor(EventType.SQS);
  let loading: Promise<Loaded> | undefined;
  const load = async (): Promise<Loaded> => {
    const [provider, { queuedRenewalSchema: schema }] = await Promise.all([loadProvider(), import('../domain/queued-renewal')]);
    return { provider, schema };
  };
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    addLambdaContext(coldStartDeps.logger, context);
    // Code that fails to load fails the batch (SQS redelivers it), and the next batch tries again.
    const { provider, schema } = await (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
    // A secret that cannot be read fails the batch before any record is touched: SQS redelivers it.
    const deps: BatchDeps = { ...coldStartDeps, provider, ...(coldStartDeps.currentConfig ? { config: await coldStartDeps.currentConfig() } : {}) };
    const parsed = new Map(event.Records.map((r) => [r.messageId, parse(schema, r)] as const));
    // The provider refused the account's credentials lately: wait, do not fail another login.
    const pausedUntil = await deps.pause?.pausedUntil(new Date());
    if (pausedUntil !== undefined) {
      const delay = Math.max(1, Math.ceil((pausedUntil - Date.now()) / 1000));
      const deferPaused = async (record: SQSRecord): Promise<void> => {
        const p = parsed.get(record.messageId);
        if (!p || 'poison' in p) throw new PoisonMessageError(record.messageId, p && 'poison' in p ? p.poison : 'missing');
        await deps.queue.send(p.message, delay);
      };
      return processPartialResponse(event, deferPaused, processor, { context, throwOnFullBatchFailure: false });
    }
    // Over the limit, a renewal waits: it is re-queued for when slots free up, acknowledged, and
    // neither fails nor counts as an attempt.
    const slots = new Map<string, { at: number; toleranceMs: number }>();
    const waits = new Map<string, number>();
    if (deps.limiter) {
      const ids = [...parsed].filter(([, p]) => 'message' in p).map(([id]) => id);
      const reservation = await deps.limiter.reserve(ids.length, deps.maxSlotWaitMs);
      ids.forEach((id, i) => {
        const slot = reservation.slots[i];
        if (slot !== undefined && deps.limiter) slots.set(id, { at: slot, toleranceMs: deps.limiter.toleranceMs });
        else waits.set(id, reservation.retryInMs);
      });
    }
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      const p = parsed.get(record.messageId);
      if (!p || 'poison' in p) throw new PoisonMessageError(record.messageId, p && 'poison' in p ? p.poison : 'missing');
      const wait = waits.get(record.messageId);
      if (wait !== undefined) {
        await deps.queue.send(p.message, Math.max(1, Math.ceil(wait / 1000)));
        return;
      }
      // The lease owner is this invocation and message: unique per attempt, visible in the record.
      await processRenewal(p.message, `${context.awsRequestId}/${record.messageId}`, deps, slots.get(record.messageId));
    };
    // A batch where every record failed is reported like any other, not thrown.
    return processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  };
};
