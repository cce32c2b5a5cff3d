import type { CallResult } from '../../shared/providers/types';

/** A provider answer as the HTTP adapter reports it (bodies given as objects are JSON-encoded). */
export const response = (status: number, body: unknown = '', headers: Record<string, string> = {}): CallResult => ({
  kind: 'response',
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  latencyMs: 5,
});
