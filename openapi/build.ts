/**
 * Builds the OpenAPI 3.1 document of every route in the system description (shared/system.ts):
 * the gateway's own routes (openapi/routes.ts) and each provider's native routes (its
 * `openapi.ts`). Request schemas are the zod schemas the handlers validate with, turned into
 * JSON Schema (draft 2020-12, OpenAPI 3.1's dialect) by zod itself; response schemas are
 * openapi/schemas.ts. `npm run openapi` writes it to openapi.json; the status function serves it.
 */
import * as z from 'zod';
import { parseCanonicalRequest } from '../shared/domain/canonical';
import { loadCanonical } from '../shared/providers/load-canonical';
import { loadNative } from '../shared/providers/load-native';
import { partOf, type NativeRouteDoc, type OpenApiPart } from '../shared/providers/parts';
import { REGISTRY } from '../shared/providers/registry';
import { ROUTES, routeKey, type RouteDescription } from '../shared/system';
import { COMPONENTS } from './schemas';
import { ACCEPTED_RESPONSES, coreRoutes, IDEMPOTENCY_HEADER, OPERATOR_PROBLEMS, PUBLIC_PROBLEMS, READ_PROBLEMS, SIGNATURE_HEADERS, SIGNED_PROBLEMS, type BodyDoc, type RouteDoc } from './routes';

export type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

const COMPONENT_REF = (name: string) => `#/components/schemas/${name}`;

/**
 * zod writes its own regular expression beside a `format` (date-time, email): the format says it,
 * and the expression (about 400 characters for a date-time) would fill the document.
 */
const tidy = (node: unknown): void => {
  if (Array.isArray(node)) for (const v of node) tidy(v);
  else if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (typeof o.format === 'string' && typeof o.pattern === 'string') delete o.pattern;
    for (const v of Object.values(o)) tidy(v);
  }
};

/** zod → JSON Schema as a request is read (defaults make a field optional), in OpenAPI 3.1's dialect. */
const jsonSchema = (schema: z.core.$ZodType): JsonSchema => {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  tidy(out);
  return out;
};

/** The named response schemas, referenced from responses by name. */
const components = () => {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of COMPONENTS) registry.add(schema, { id });
  const all = z.toJSONSchema(registry, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', uri: COMPONENT_REF }) as { schemas: Record<string, JsonSchema> };
  for (const s of Object.values(all.schemas)) {
    delete s.$schema;
    delete s.$id;
    tidy(s);
  }
  const names = new Map<z.ZodType, string>(COMPONENTS.map(([id, schema]) => [schema, id]));
  return { schemas: all.schemas, nameOf: (schema: z.ZodType) => names.get(schema) };
};

/** One route's parameters: path, query and header, each from the schema the handler reads it with. */
const parameters = (doc: RouteDoc) => {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [['path', doc.path], ['query', doc.query]] as const) {
    if (!schema) continue;
    const js = jsonSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      const { description, ...rest } = s;
      out.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest });
    }
  }
  for (const [name, h] of Object.entries(doc.headers ?? {})) out.push({ name, in: 'header', required: h.required, description: h.description, schema: { type: 'string' } });
  return out;
};

/** The canonical request body: one variant per provider and operation, from each provider's canonical part. */
const canonicalBody = async (parts: readonly ProviderParts[]): Promise<BodyDoc> => {
  const variants: z.core.$ZodType[] = [];
  const examples: Record<string, unknown> = {};
  for (const { provider, canonical, openapi } of parts) {
    for (const operation of provider.operations) {
      const params = (canonical.params as Readonly<Record<string, z.core.$ZodType>>)[operation];
      if (!params) throw new Error(`${provider.id}: no canonical params for ${operation}`);
      // Absent params are {} (the envelope's default): required only where {} is not valid.
      const optional = z.safeParse(params, {}).success;
      variants.push(
        z
          .strictObject({
            provider: z.literal(provider.id),
            operation: z.literal(operation),
            subscription: canonical.subscription,
            params: optional ? z.optional(params) : params,
            notBefore: z.iso.datetime({ offset: true }).optional().meta({ description: 'Not renewed before this time (at most 15 minutes ahead, SQS’s longest delay).' }),
            deadline: z.iso.datetime({ offset: true }).optional().meta({ description: 'Must have happened by this time: a retry that would come later is not scheduled, and the renewal ends needs_attention saying so.' }),
          })
          .meta({ title: `${provider.name} ${operation}` }),
      );
      examples[`${provider.id}-${operation}`] = (openapi.canonicalExamples as Readonly<Record<string, unknown>>)[operation];
    }
  }
  const [first, ...rest] = variants;
  if (!first) throw new Error('no provider is registered');
  return {
    schema: rest.length > 0 ? z.union([first, ...rest]) : first,
    examples,
    check: async (example) => {
      const r = await parseCanonicalRequest(example);
      return r.ok ? [] : r.errors;
    },
  };
};

interface ProviderParts {
  readonly provider: (typeof REGISTRY)[number];
  readonly canonical: Awaited<ReturnType<typeof loadCanonical>>;
  readonly openapi: OpenApiPart;
}

const loadParts = (): Promise<ProviderParts[]> =>
  Promise.all(
    REGISTRY.map(async (provider) => ({
      provider,
      canonical: await loadCanonical(provider.id),
      openapi: partOf<OpenApiPart>(provider.id, 'openapi', await import(`../shared/providers/${provider.id}/openapi.ts`)),
    })),
  );

/** A native route as a RouteDoc: its own body, query, path and headers, checked by its normalizer. */
const nativeRoute = (provider: ProviderParts['provider'], path: string, doc: NativeRouteDoc): RouteDoc => ({
  summary: doc.summary,
  description: doc.description,
  tags: [provider.name],
  ...(doc.path ? { path: doc.path } : {}),
  ...(doc.query ? { query: doc.query } : {}),
  headers: { ...SIGNATURE_HEADERS, ...IDEMPOTENCY_HEADER, ...doc.headers },
  body: {
    schema: doc.body,
    examples: { [provider.id]: doc.example.body },
    check: async (body) => {
      const normalize = (await loadNative(provider.id))[path];
      if (!normalize) return [{ path: '(route)', message: `${provider.id} has no normalizer for ${path}` }];
      const r = normalize({ ...doc.example, body });
      return r.ok ? [] : r.errors;
    },
  },
  responses: ACCEPTED_RESPONSES,
});

/** Every route's doc by route key: the gateway's own and each provider's native routes. */
export const routeDocs = async (): Promise<Map<string, RouteDoc>> => {
  const parts = await loadParts();
  const docs = new Map(Object.entries(coreRoutes(await canonicalBody(parts))));
  for (const { provider, openapi } of parts) {
    for (const route of provider.routes) {
      const doc = (openapi.routes as Readonly<Record<string, NativeRouteDoc>>)[route.path];
      if (!doc) throw new Error(`shared/providers/${provider.id}/openapi.ts: no description of ${route.path}`);
      docs.set(routeKey(route), nativeRoute(provider, route.path, doc));
    }
  }
  return docs;
};

const PROBLEM_CONTENT = { 'application/problem+json': { schema: { $ref: COMPONENT_REF('Problem') } } };

const operation = (route: RouteDescription, doc: RouteDoc, nameOf: (s: z.ZodType) => string | undefined) => {
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(doc.responses)) {
    const name = r.schema ? nameOf(r.schema) : undefined;
    if (r.schema && !name) throw new Error(`${routeKey(route)}: the ${status} response's schema is not one of openapi/schemas.ts`);
    const isProblem = Number(status) >= 400;
    responses[status] = {
      description: r.description,
      ...(r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) } : {}),
      ...(name ? { content: { 'application/json': { schema: { $ref: COMPONENT_REF(name) }, ...(r.example !== undefined ? { example: r.example } : {}) } } } : {}),
      ...(isProblem && !name ? { content: PROBLEM_CONTENT } : {}),
    };
  }
  const problems = { 'webhook-signature': SIGNED_PROBLEMS, 'read-token': READ_PROBLEMS, 'operator-token': OPERATOR_PROBLEMS, public: PUBLIC_PROBLEMS }[route.auth];
  for (const [status, description] of Object.entries(problems)) {
    if (doc.body === undefined && (status === '413' || status === '415' || status === '422')) continue;
    responses[status] ??= { description, content: PROBLEM_CONTENT };
  }
  responses['500'] = { description: 'A fault of the gateway; the problem’s `instance` is in its logs.', content: PROBLEM_CONTENT };
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/\{(\w+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase())}`,
    summary: doc.summary,
    description: doc.description,
    tags: [...doc.tags],
    // A read-token route takes an operator token too; an operator-token route only that.
    // A public route overrides the document's default security with none.
    security: { 'webhook-signature': [{ webhookSignature: [] }], 'read-token': [{ readToken: [] }, { operatorToken: [] }], 'operator-token': [{ operatorToken: [] }], public: [] }[route.auth],
    parameters: parameters(doc),
    ...(doc.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(doc.body.schema), examples: Object.fromEntries(Object.entries(doc.body.examples).map(([k, v]) => [k, { value: v }])) } } } }
      : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b))),
  };
};

export const buildOpenApi = async (): Promise<OpenApiDocument> => {
  const docs = await routeDocs();
  const { schemas, nameOf } = components();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const doc = docs.get(routeKey(route));
    if (!doc) throw new Error(`openapi/routes.ts: no description of ${routeKey(route)}`);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, doc, nameOf);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Renewal gateway',
      version: '1',
      description:
        'Renews subscriptions at PressOne, Pelcro, Punchh and Digital River on time, exactly once, with a record of every attempt. Writes are Standard Webhooks signed; reads take a bearer read token; operator actions an operator token. Errors are RFC 9457 problem documents naming each wrong field.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: 'http://localhost:3000', description: 'The local stack (`npm start`; its port is `PORT`)' }],
    tags: [
      { name: 'renewals', description: 'Ask for renewals and follow them.' },
      { name: 'schedules', description: 'Renew a subscription every period.' },
      { name: 'events', description: 'What happened to renewals: one event per status entered, in order.' },
      { name: 'meta', description: 'This description, served by the gateway itself.' },
      { name: 'operators', description: 'Find and fix what is stuck: the inbox, actions with an audit trail, providers, dead letters (operator token).' },
      { name: 'event endpoints', description: 'Events pushed to registered URLs, signed the Standard Webhooks way, retried for 27.6 h (operator token).' },
      ...REGISTRY.map((p) => ({ name: p.name, description: `${p.name}’s own request shapes (drop-in routes).` })),
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        webhookSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'webhook-signature',
          description: 'Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature` over the raw body, with a secret of `RENEWALS_WEBHOOK_SECRETS`.',
        },
        readToken: { type: 'http', scheme: 'bearer', description: 'A token of `RENEWALS_READ_TOKENS`.' },
        operatorToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A token of `RENEWALS_OPERATOR_TOKENS` (`name=token` pairs; the name is recorded in the history of what its holder does). Also accepted wherever a read token is.',
        },
      },
    },
  };
};

/** The document as checked in: stable key order, two-space indent, a final newline. */
export const serialize = (doc: OpenApiDocument): string => `${JSON.stringify(doc, null, 2)}\n`;
