/**
 * What a registered provider must have (docs/adding-a-provider.md), checked piece by piece so
 * that a missing one is reported by name. The declaration's shape and each part's exports are
 * also checked by the compiler (`satisfies ProviderDeclaration`, `CanonicalPart<…>`,
 * `NativePart<…>`, `CallPart`); this catches what the compiler cannot see: a part file or a
 * sandbox that is not there at all, and values that are well-typed but wrong.
 */
import { parseRateLimit } from '../../shared/adapters/rate-limiter';
import type { ProviderDeclaration } from '../../shared/providers/declaration';

/** The pieces kept in files of their own: the provider's three code parts, its OpenAPI part and its sandbox. */
export type Piece = 'canonical' | 'native' | 'call' | 'openapi' | 'sandbox';

/** Where each piece of a provider lives, and how to load it. */
export interface ProviderFolder {
  readonly fileOf: (piece: Piece) => string;
  readonly load: (piece: Piece) => Promise<unknown>;
}

/** A provider's pieces where the gateway looks for them. */
export const registeredFolder = (id: string): ProviderFolder => ({
  fileOf: (piece) => (piece === 'sandbox' ? `local/sandboxes/${id}.ts` : `shared/providers/${id}/${piece}.ts`),
  load: (piece) => (piece === 'sandbox' ? import(`../../local/sandboxes/${id}.ts`) : import(`../../shared/providers/${id}/${piece}.ts`)),
});

const WHAT: Readonly<Record<Piece, string>> = {
  canonical: 'the canonical params and subscription-reference schemas',
  native: "the normalizers of the provider's native routes",
  call: 'the outgoing call and the classification of its answers',
  openapi: 'its routes and examples in openapi.json',
  sandbox: 'the local stand-in for the provider',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isSchema = (v: unknown): boolean => isObject(v) && typeof v.safeParse === 'function';

/** The export a piece must have (`canonical`, `native`, `call`, `sandbox`), or a problem naming what is missing. */
const exportOf = async (folder: ProviderFolder, piece: Piece, problems: string[]): Promise<unknown> => {
  const file = folder.fileOf(piece);
  let module: unknown;
  try {
    module = await folder.load(piece);
  } catch {
    problems.push(`${file} is missing (${WHAT[piece]})`);
    return undefined;
  }
  const value = isObject(module) ? module[piece] : undefined;
  if (value === undefined) problems.push(`${file} does not export \`${piece}\` (${WHAT[piece]})`);
  return value;
};

/** Everything wrong with one provider, each naming the piece; none for a complete provider. */
export const providerProblems = async (p: ProviderDeclaration, folder: ProviderFolder): Promise<string[]> => {
  const problems: string[] = [];
  const where = `provider ${p.id}`;
  if (!/^[a-z][a-z0-9]*$/.test(p.id)) problems.push(`${where}: id must be lower-case letters and digits (it names routes, queues, items)`);
  if (!/[A-Za-z0-9]/.test(p.name)) problems.push(`${where}: name must have letters or digits (it names the queue)`);
  for (const route of p.routes) {
    if (!route.path.startsWith(`/v1/providers/${p.id}/`)) problems.push(`${where}: route ${route.path} must be under /v1/providers/${p.id}/`);
  }
  const { config } = p;
  const prefix = `${p.id.toUpperCase()}_`;
  const names = [config.baseUrlEnv, config.rateLimitEnv, config.maxConcurrencyEnv, ...Object.keys(config.secrets), ...Object.keys(config.settings)];
  for (const name of names) if (!name.startsWith(prefix)) problems.push(`${where}: configuration name ${name} must start with ${prefix}`);
  if (!config.defaultBaseUrl.startsWith('https://')) problems.push(`${where}: defaultBaseUrl must be https`);
  for (const [name, secret] of Object.entries(config.secrets)) {
    if (!secret.description.trim()) problems.push(`${where}: secret ${name} needs a description (shown in the Secrets Manager console)`);
    if (!secret.localDefault.trim()) problems.push(`${where}: secret ${name} needs a local default (the local stack's value)`);
  }
  if (config.defaultRateLimit !== undefined) {
    try {
      parseRateLimit(config.defaultRateLimit, config.rateLimitEnv);
    } catch (error) {
      problems.push(`${where}: defaultRateLimit: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (!Number.isInteger(config.maxConcurrency) || config.maxConcurrency < 2) problems.push(`${where}: maxConcurrency must be an integer of at least 2 (the AWS minimum)`);
  for (const status of config.pauseOnAuthStatuses) if (status < 400 || status > 499) problems.push(`${where}: pauseOnAuthStatuses holds ${status}, not a 4xx`);

  const canonical = await exportOf(folder, 'canonical', problems);
  if (isObject(canonical)) {
    if (!isSchema(canonical.subscription)) problems.push(`${folder.fileOf('canonical')}: no subscription schema (the subscription-reference rule)`);
    const params = isObject(canonical.params) ? canonical.params : {};
    for (const op of p.operations) if (!isSchema(params[op])) problems.push(`${folder.fileOf('canonical')}: no params schema for operation ${op}`);
  }
  if (p.routes.length > 0) {
    const native = await exportOf(folder, 'native', problems);
    if (isObject(native)) {
      for (const route of p.routes) if (typeof native[route.path] !== 'function') problems.push(`${folder.fileOf('native')}: no normalizer for ${route.path}`);
    }
  }
  const call = await exportOf(folder, 'call', problems);
  if (isObject(call)) {
    for (const fn of ['buildRequest', 'classify'] as const) if (typeof call[fn] !== 'function') problems.push(`${folder.fileOf('call')}: no ${fn}`);
    if (typeof call.idempotentCall !== 'boolean') problems.push(`${folder.fileOf('call')}: idempotentCall must say whether repeating the call is safe`);
  }
  const openapi = await exportOf(folder, 'openapi', problems);
  if (isObject(openapi)) {
    const routes = isObject(openapi.routes) ? openapi.routes : {};
    for (const route of p.routes) if (!isObject(routes[route.path])) problems.push(`${folder.fileOf('openapi')}: no description of ${route.path}`);
    const examples = isObject(openapi.canonicalExamples) ? openapi.canonicalExamples : {};
    for (const op of p.operations) if (!isObject(examples[op])) problems.push(`${folder.fileOf('openapi')}: no canonical example for operation ${op}`);
  }
  const sandbox = await exportOf(folder, 'sandbox', problems);
  if (sandbox !== undefined && typeof sandbox !== 'function') problems.push(`${folder.fileOf('sandbox')}: \`sandbox\` must be a function building the sandbox`);
  return problems;
};
