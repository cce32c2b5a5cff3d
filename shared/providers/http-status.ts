/** Pieces every provider's classifier shares. */
import type { CallResult, Classification } from './types';

/** `Retry-After` as seconds (delta-seconds or an HTTP date), or undefined. */
export const parseRetryAfter = (value: string | undefined, now = Date.now()): number | undefined => {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
};

export const parseJson = (body: string): unknown => {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    // Not JSON: the answer is undefined (falling off the end; a `return undefined` here was an equivalent mutant).
  }
};

/**
 * Network outcomes are classified the same way for every provider
 * (docs/architecture.md#response-classification-and-retries).
 */
export const classifyNetwork = (result: Exclude<CallResult, { kind: 'response' }>): Classification =>
  result.kind === 'not-sent'
    ? { class: 'retryable', message: `connection failed before the request was sent (${result.code})` }
    : { class: 'ambiguous', message: `no answer after the request was sent (${result.code}); it may have taken effect` };
