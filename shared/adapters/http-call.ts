/**
 * Performs one provider call with a timeout and reports what happened in the terms the
 * classifiers use: a response, a connection that never carried the request, or no answer.
 */
import type { CallResult, OutgoingRequest } from '../providers/types';

/** Errors raised while connecting: the request bytes never left, so a retry cannot double-apply. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

const errorCode = (error: unknown): string => {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (typeof current === 'object' && current !== null) {
      const code = (current as { code?: unknown }).code;
      if (typeof code === 'string') return code;
      if ((current as { name?: unknown }).name === 'TimeoutError') return 'TIMEOUT';
      current = (current as { cause?: unknown }).cause;
    } else break;
  }
  return 'UNKNOWN';
};

export type HttpCaller = (request: OutgoingRequest, timeoutMs: number) => Promise<CallResult>;

export const fetchCall: HttpCaller = async (request, timeoutMs) => {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    const body = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => (headers[key] = value));
    return { kind: 'response', status: response.status, headers, body, latencyMs: latency() };
  } catch (error) {
    const code = errorCode(error);
    return NOT_SENT_CODES.has(code)
      ? { kind: 'not-sent', code, latencyMs: latency() }
      : { kind: 'no-answer', code, latencyMs: latency() };
  }
};
