/**
 * The checks every signed write route makes before anything is stored, cheapest first:
 * size (413), media type (415), Standard Webhooks signature over the raw bytes (401), UTF-8 and
 * JSON (400). The signature is checked before the body is decoded, so a signed body that is not
 * UTF-8 is a 400 naming the body, not a 401.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { badRequest, payloadTooLarge, unsupportedMediaType } from './problem';
import { header, rawBody } from './middleware';
import type { WebhookVerifier } from './auth';

export const MAX_BODY_BYTES = 64 * 1024;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

export interface SignedRequest {
  /** The parsed body; undefined when the request has none and none is expected. */
  readonly body: unknown;
  /** The signed message's id (verified present). */
  readonly webhookId: string;
  /** The exact body bytes the signature covers. */
  readonly raw: Buffer;
}

/** Decodes strictly: a byte sequence that is not UTF-8 is refused, not replaced by U+FFFD. A BOM is kept (and JSON.parse refuses it). */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const readSignedRequest = async (
  event: APIGatewayProxyEventV2,
  verify: WebhookVerifier,
  options: { bodyRequired: boolean } = { bodyRequired: true },
): Promise<SignedRequest> => {
  const raw = rawBody(event);
  if (raw.byteLength > MAX_BODY_BYTES) throw payloadTooLarge(MAX_BODY_BYTES);
  const hasBody = raw.byteLength > 0;
  if (options.bodyRequired || hasBody) {
    const contentType = header(event, 'content-type');
    if (!contentType || !JSON_MEDIA_TYPE.test(contentType)) throw unsupportedMediaType(contentType);
  }
  const id = header(event, 'webhook-id');
  await verify(raw, { id, timestamp: header(event, 'webhook-timestamp'), signature: header(event, 'webhook-signature') });
  const webhookId = id ?? '';
  if (!hasBody && !options.bodyRequired) return { body: undefined, webhookId, raw };
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw badRequest('The body is not valid UTF-8.', [{ path: '(body)', message: 'must be UTF-8 encoded JSON' }]);
  }
  try {
    return { body: JSON.parse(text) as unknown, webhookId, raw };
  } catch (error) {
    throw badRequest(`The body is not valid JSON: ${error instanceof Error ? error.message : 'parse error'}.`);
  }
};
