/**
 * What every provider module gives the consumer: how to turn a queued renewal into an HTTP call,
 * and how to read the answer. Both are pure so they are unit-tested response by response.
 */
import type { QueuedRenewal } from '../domain/renewal';

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

export interface ProviderCredentials {
  readonly baseUrl: string;
  readonly apiKey: string;
}

export interface ProviderModule {
  /** True when repeating the call cannot apply it twice (sets an absolute value). */
  readonly idempotentCall: boolean;
  buildRequest(renewal: QueuedRenewal, credentials: ProviderCredentials): OutgoingRequest;
  classify(result: CallResult): Classification;
}
