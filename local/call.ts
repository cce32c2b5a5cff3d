/**
 * `npm run call -- METHOD PATH [JSON]`: one line to talk to the gateway as an upstream would.
 * Writes are signed the Standard Webhooks way with the first RENEWALS_WEBHOOK_SECRETS secret;
 * reads carry the first RENEWALS_READ_TOKENS token. Defaults match `npm start`'s.
 *
 *   npm run call -- POST /v1/providers/pressone/renew-number '{"email":"jane@example.com"}'
 *   npm run call -- GET /v1/renewals/rnw_...
 * Options: --url http://127.0.0.1:3000   --idempotency-key K   --webhook-id ID
 */
import { LOCAL_DEFAULTS } from './defaults';
import { splitList } from '../shared/config';
import { signedHeaders } from './webhook-client';

const usage = `usage: npm run call -- METHOD PATH [JSON] [--url URL] [--idempotency-key KEY] [--webhook-id ID]`;

const args = process.argv.slice(2);
const options: Record<string, string> = {};
const positional: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i] ?? '';
  if (a.startsWith('--')) {
    const value = args[++i];
    if (value === undefined) {
      console.error(`${a} needs a value\n${usage}`);
      process.exit(2);
    }
    options[a.slice(2)] = value;
  } else positional.push(a);
}
const [method = '', path = '', body] = positional;
if (!/^(GET|POST|PUT|DELETE)$/i.test(method) || !path.startsWith('/')) {
  console.error(usage);
  process.exit(2);
}

const base = options.url ?? `http://127.0.0.1:${process.env.PORT ?? LOCAL_DEFAULTS.PORT}`;
const headers: Record<string, string> = {};
if (method.toUpperCase() === 'GET') {
  headers.authorization = `Bearer ${splitList(process.env.RENEWALS_READ_TOKENS ?? LOCAL_DEFAULTS.RENEWALS_READ_TOKENS)[0]}`;
} else {
  const secret = splitList(process.env.RENEWALS_WEBHOOK_SECRETS ?? LOCAL_DEFAULTS.RENEWALS_WEBHOOK_SECRETS)[0] ?? '';
  Object.assign(headers, signedHeaders(secret, body ?? '', options['webhook-id'] ? { webhookId: options['webhook-id'] } : {}));
  if (options['idempotency-key']) headers['idempotency-key'] = options['idempotency-key'];
}

const response = await fetch(new URL(path, base), { method: method.toUpperCase(), headers, ...(body !== undefined ? { body } : {}) }).catch(
  (error: unknown) => {
    console.error(`could not reach ${base}: ${error instanceof Error ? (error.cause as Error | undefined)?.message ?? error.message : error}`);
    console.error('is the local stack running? (npm start)');
    process.exit(1);
  },
);
const text = await response.text();
let pretty = text;
try {
  pretty = JSON.stringify(JSON.parse(text), null, 2);
} catch {
  // not JSON: print as is
}
console.log(`HTTP ${response.status}`);
console.log(pretty);
process.exitCode = response.ok ? 0 : 1;
