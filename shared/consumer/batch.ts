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
import { dueAtMs, processRenewal, sendOn, type ConsumerDeps, type ProviderAnswer } from './engine';
import { credentialFingerprint } from '../adapters/provider-pause';
import type { HealthRecorder } from '../adapters/provider-health';

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
  /** Records the provider's last success and failure for operators (throttled; provider-health.ts). */
  readonly health?: HealthRecorder;
}

/** A consumer's configuration with its provider's code, as each batch runs with it. */
export type BatchDeps = ConsumerConfig & ConsumerDeps;

type Parsed = { readonly message: QueuedRenewal } | { readonly poison: string };

const parse = (schema: typeof queuedRenewalSchema, record: SQSRecord): Parsed => {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    return { poison: 'body is not JSON' };
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { poison: parsed.error.issues.map((i) => i.path.join('.')).join(', ') };
  // A message sent before copies had ids: its SQS message id stays the same across its redeliveries.
  return { message: parsed.data.copyId ? parsed.data : { ...parsed.data, copyId: record.messageId } };
};

/** How long renewals wait while another instance probes the provider's credentials. */
export const PROBE_WAIT_SECONDS = 5;

type Slot = { readonly at: number; readonly toleranceMs: number };

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
let messageCheck: Promise<typeof queuedRenewalSchema> | undefined;
/** The queued-message check, loaded once per process (by the first batch, or ahead of it). */
export const loadMessageCheck = (): Promise<typeof queuedRenewalSchema> =>
  (messageCheck ??= import('../domain/queued-renewal').then(
    (m) => m.queuedRenewalSchema,
    (error: unknown) => {
      messageCheck = undefined;
      throw error;
    },
  ));

export const createBatchHandler = (coldStartDeps: ConsumerConfig, loadProvider: () => Promise<ProviderModule>) => {
  const processor = new BatchProcessor(EventType.SQS);
  let loading: Promise<Loaded> | undefined;
  const load = async (): Promise<Loaded> => {
    const [provider, schema] = await Promise.all([loadProvider(), loadMessageCheck()]);
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
    const messageOf = (record: SQSRecord): QueuedRenewal => {
      const p = parsed.get(record.messageId);
      if (!p || 'poison' in p) throw new PoisonMessageError(record.messageId, p && 'poison' in p ? p.poison : 'missing');
      return p.message;
    };
    // Every wait sends the copy on only if it carries its renewal (engine.ts, sendOn): a stray
    // copy, or one of a renewal that has ended, is dropped here rather than bounced again.
    const wait = async (message: QueuedRenewal, delaySeconds: number): Promise<void> => {
      await sendOn(message, delaySeconds, deps);
    };
    const deferAll = (delaySeconds: number) =>
      processPartialResponse(event, async (record: SQSRecord) => wait(messageOf(record), delaySeconds), processor, {
        context,
        throwOnFullBatchFailure: false,
      });

    // The account's credentials (provider-pause.ts): refused lately → wait; not known to work →
    // one call at a time across all instances (the probe); known to work → this batch's first
    // call goes alone, the others once it got past authentication.
    const fingerprint = credentialFingerprint(deps.config.secrets);
    const gate = deps.pause ? await deps.pause.gate(new Date(), fingerprint) : undefined;
    if (gate?.state === 'paused') return deferAll(secondsUntil(gate.until));
    const probe = gate?.state === 'probe';
    if (probe && !(await deps.pause?.acquireProbe(new Date(), context.awsRequestId, fingerprint, deps.leaseMs))) {
      return deferAll(PROBE_WAIT_SECONDS);
    }
    // A copy that is not due yet (a long retry wait, a far notBefore) is only sent on: it makes no
    // call, so it takes no rate-limit slot and cannot be the batch's first call.
    const nowMs = (deps.now?.() ?? new Date()).getTime();
    const due = event.Records.filter((r) => {
      const p = parsed.get(r.messageId);
      return p !== undefined && 'message' in p && dueAtMs(p.message) <= nowMs;
    });
    const canary = deps.pause ? due[0] : undefined;
    if (probe && !canary) await deps.pause?.releaseProbe(context.awsRequestId);
    let canaryAnswer: ProviderAnswer | undefined;
    /** Set once any call of this batch was refused: its renewals not yet called wait for the pause. */
    let refused = false;
    let canaryDone: Promise<void> = Promise.resolve();

    // Over the limit, a renewal waits: it is re-queued for when slots free up, acknowledged, and
    // neither fails nor counts as an attempt. The canary's slot is reserved before the others'.
    const reserve = async (records: readonly SQSRecord[]): Promise<Map<string, Slot | { wait: number }>> => {
      const out = new Map<string, Slot | { wait: number }>();
      if (!deps.limiter || records.length === 0) return out;
      const reservation = await deps.limiter.reserve(records.length, deps.maxSlotWaitMs);
      records.forEach((r, i) => {
        const at = reservation.slots[i];
        out.set(r.messageId, at !== undefined && deps.limiter ? { at, toleranceMs: deps.limiter.toleranceMs } : { wait: reservation.retryInMs });
      });
      return out;
    };
    const processRecord = async (record: SQSRecord, slots: Map<string, Slot | { wait: number }>, onAnswer?: (a: ProviderAnswer) => void): Promise<void> => {
      const message = messageOf(record);
      const slot = slots.get(record.messageId);
      if (slot && 'wait' in slot) return wait(message, Math.max(1, Math.ceil(slot.wait / 1000)));
      // The lease owner is this invocation and message: unique per attempt, visible in the record.
      const result = await processRenewal(message, `${context.awsRequestId}/${record.messageId}`, deps, slot, (a) => {
        refused ||= a.paused;
        onAnswer?.(a);
      });
      if (result.kind === 'completed' && deps.health) {
        // For operators only: a failure to record it never fails the renewal's message.
        await deps.health.record(result.status, new Date()).catch((error: unknown) =>
          deps.logger.warn('could not record the provider’s last outcome', { error: error instanceof Error ? error.name : 'unknown' }),
        );
      }
    };

    if (canary) {
      canaryDone = (async () => {
        let finished = false;
        try {
          await processRecord(canary, await reserve([canary]), (a) => (canaryAnswer = a));
          finished = true;
        } finally {
          // A probe that failed before anyone knew its answer is left to run out: it may have been
          // refused, and an unsettled probe pauses these credentials (provider-pause.ts).
          if (probe && (finished || canaryAnswer)) await settleProbe(deps, canaryAnswer, fingerprint, context.awsRequestId);
        }
      })();
    }
    const others = due.filter((r) => r !== canary);
    const othersSlots = (async () => {
      await canaryDone.catch(() => undefined);
      return refused || probe ? new Map<string, Slot | { wait: number }>() : reserve(others);
    })();

    const recordHandler = async (record: SQSRecord): Promise<void> => {
      if (record === canary) return canaryDone;
      // Not due: the engine sends it on to its due time without a claim or a call.
      if (!due.includes(record)) return processRecord(record, new Map());
      const message = messageOf(record);
      if (probe) return wait(message, PROBE_WAIT_SECONDS);
      const slots = await othersSlots;
      // Refused: the provider is paused now; wait for the end of the pause, do not fail a login.
      if (refused && deps.pause) return wait(message, secondsUntil(Date.now() + deps.pause.pauseMs));
      return processRecord(record, slots);
    };
    // A batch where every record failed is reported like any other, not thrown.
    return processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  };
};

const secondsUntil = (atMs: number): number => Math.max(1, Math.ceil((atMs - Date.now()) / 1000));

/**
 * Ends this instance's probe: credentials that got past authentication are trusted; a refusal
 * already paused the provider (which ends the probe); anything else proves nothing, so the next
 * batch probes again.
 */
const settleProbe = async (deps: BatchDeps, answer: ProviderAnswer | undefined, fingerprint: string, owner: string): Promise<void> => {
  if (!deps.pause || answer?.paused) return;
  if (answer && PAST_AUTHENTICATION.has(answer.errorClass)) await deps.pause.trust(fingerprint);
  else await deps.pause.releaseProbe(owner);
};

/** Answers that show the credentials were accepted (the provider looked at the request itself). */
const PAST_AUTHENTICATION: ReadonlySet<ProviderAnswer['errorClass']> = new Set(['success', 'accepted', 'permanent']);
