/**
 * How the local stack finds each provider's sandbox (docs/adding-a-provider.md): by convention,
 * `local/sandboxes/<provider id>.ts` exports `sandbox`, which builds the sandbox from the values
 * the provider is configured with locally (its secrets and settings, by name), and adds its class
 * to `SandboxRegistry`, so `stack.sandboxes.<id>` is typed with the sandbox's own helpers.
 * Sandboxes stay out of shared/: they are never part of a Lambda bundle.
 */
import { parseRateLimit } from '../../shared/adapters/rate-limiter';
import { PROVIDER_CONFIG, type Provider, type ProviderConfigNames } from '../../shared/system';
import type { Sandbox } from './framework';
import type { RateLimit } from './rate-limit';

/**
 * Each provider's sandbox class, added by its module through declaration merging:
 * `declare module './registration' { interface SandboxRegistry { punchh: PunchhSandbox } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging, one provider per sandbox module
export interface SandboxRegistry {}

/** The sandbox of a provider, as its module declares it (the base class until it does). */
export type SandboxOf<P extends Provider> = P extends keyof SandboxRegistry ? SandboxRegistry[P] : Sandbox;

/** A provider's local configuration: its secrets and settings by name (unset settings absent). */
export type ProviderValues = Readonly<Record<string, string | undefined>>;

/** What a sandbox module exports as `sandbox`. */
export type SandboxFactory = (values: ProviderValues) => Sandbox;

/** The rate a sandbox enforces: the one the gateway is configured to keep, so a breach shows. */
export const configuredRate = (provider: Provider, values: ProviderValues): RateLimit | undefined => {
  const names: ProviderConfigNames = PROVIDER_CONFIG[provider];
  const setting = values[names.rateLimitEnv] ?? names.defaultRateLimit;
  return setting && setting !== 'off' ? parseRateLimit(setting, names.rateLimitEnv) : undefined;
};
