/**
 * What a provider's code gives the gateway (its folder's parts, see ./parts.ts): how to read the
 * provider's own request shape, how to turn a queued renewal into the provider call, and how to
 * read the answer. All pure, so they are unit-tested request by request and response by response.
 */
import type { QueuedRenewal } from '../domain/renewal';
import type { CanonicalRequest, ValidationResult } from '../domain/canonical';

export interface OutgoingRequest {
  readonly method: 'POST' | 'GET';
  /** Absolute URL including query string. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What came back from one provider call, as the HTTP adapter saw it. */
export type CallResult =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
      readonly latencyMs: number;
    }
  | {
      /** The request never reached the provider (refused, DNS): safe to retry. */
      readonly kind: 'not-sent';
      readonly code: string;
      readonly latencyMs: number;
    }
  | {
      /** The request may have reached the provider, but no answer came back (reset, timeout). */
      readonly kind: 'no-answer';
      readonly code: string;
      readonly latencyMs: number;
    };

export const ERROR_CLASSES = ['success', 'accepted', 'retryable', 'permanent', 'auth', 'ambiguous', 'interrupted'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface Classification {
  readonly class: Exclude<ErrorClass, 'interrupted'>;
  readonly httpStatus?: number;
  /** The provider's message, sanitized (no secrets, emails masked, bounded length). */
  readonly message: string;
  readonly retryAfterSeconds?: number;
}

/** A provider's configuration, read once at cold start by the names in shared/system.ts. */
export interface ProviderConfig {
  readonly baseUrl: string;
  /** Secret values by configuration name, e.g. `{ PELCRO_API_KEY: '…' }`. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Other settings by configuration name, e.g. `{ DIGITALRIVER_AUTH_HEADER: 'token' }`. */
  readonly settings: Readonly<Record<string, string | undefined>>;
}

/** What a confirmation read says about an attempt whose outcome was unknown. */
export type Confirmation = 'renewed' | 'not-renewed' | 'unknown';

export interface ProviderModule {
  /** True when repeating the call cannot apply it twice (it sets an absolute value). */
  readonly idempotentCall: boolean;
  buildRequest(renewal: QueuedRenewal, config: ProviderConfig): OutgoingRequest;
  classify(result: CallResult): Classification;
  /**
   * The period a renewal covers, when the request says (Punchh: its term). Two renewals of one
   * subscription for one period call the provider once, whatever their idempotency keys.
   */
  periodOf?(renewal: QueuedRenewal): string | undefined;
  /** A read API that can tell whether an ambiguous attempt renewed (PressOne: List User). */
  readonly confirmation?: {
    buildRequest(renewal: QueuedRenewal, config: ProviderConfig): OutgoingRequest;
    interpret(result: CallResult, renewal: QueuedRenewal, attemptStartedAt: Date): Confirmation;
    /**
     * How long after an attempt may last have reached the provider its read API's "not renewed"
     * becomes evidence. Before that the provider may still be processing the call (a request
     * that timed out on our side can be applied seconds later), so only "renewed" is believed.
     * At most 900 s (one SQS delay). `CONFIRMATION_SETTLE_SECONDS` overrides it.
     */
    readonly settleMs: number;
  };
}

/** An incoming provider-native request, as intake sees it (headers lowercased). */
export interface NativeRequest {
  readonly body: unknown;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly path: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** Validates a provider's own request shape (errors name its fields) and normalizes it. */
export type Normalizer = (request: NativeRequest) => ValidationResult<CanonicalRequest>;
