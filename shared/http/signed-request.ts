/**
 * The checks every signed write route makes before anything is stored, cheapest first:
 * size (413), media type (415), Standard Webhooks signature over the raw bytes (401), JSON (400).
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
  readonly webhookId: string | undefined;
}

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
  const webhookId = header(event, 'webhook-id');
  await verify(raw, { id: webhookId, timestamp: header(event, 'webhook-timestamp'), signature: header(event, 'webhook-signature') });
  if (!hasBody && !options.bodyRequired) return { body: undefined, webhookId };
  try {
    return { body: JSON.parse(raw.toString('utf8')) as unknown, webhookId };
  } catch (error) {
    throw badRequest(`The body is not valid JSON: ${error instanceof Error ? error.message : 'parse error'}.`);
  }
};
