/**
 * Every provider in the registry is complete (docs/adding-a-provider.md), and a provider missing
 * a piece is reported naming the piece, by the compiler where it can see it, by this test where
 * it cannot (a file that is not there, a value that is well-typed but wrong).
 */
import { describe, expect, it } from 'vitest';
import * as z from '../zod';
import type { ProviderDeclaration } from './declaration';
import type { CanonicalPart, NativePart } from './parts';
import { REGISTRY } from './registry';
import { providerProblems, registeredFolder } from '../../test/support/provider-check';
import { incomplete } from '../../test/fixtures/providers/incomplete/index';
import { routeKey } from '../system';

describe('the provider registry', () => {
  it.each(REGISTRY.map((p) => [p.id, p] as const))('%s has every piece', async (_id, provider) => {
    expect(await providerProblems(provider, registeredFolder(provider.id))).toEqual([]);
  });

  it('gives each provider its own id, route keys and configuration names', () => {
    const ids = REGISTRY.map((p) => p.id);
    const routes = REGISTRY.flatMap((p) => p.routes.map(routeKey));
    const names = REGISTRY.flatMap(({ config: c }) => [c.baseUrlEnv, c.rateLimitEnv, c.maxConcurrencyEnv, ...Object.keys(c.secrets), ...Object.keys(c.settings)]);
    for (const list of [ids, routes, names]) expect(list.filter((v, i) => list.indexOf(v) !== i)).toEqual([]);
  });
});

describe('a provider missing pieces', () => {
  it('is reported naming each missing piece', async () => {
    const folder = {
      fileOf: (piece: string) => `test/fixtures/providers/incomplete/${piece}.ts`,
      load: (piece: string) => import(`../../test/fixtures/providers/incomplete/${piece}.ts`),
    };
    expect(await providerProblems(incomplete, folder)).toEqual([
      'provider incomplete: secret INCOMPLETE_API_KEY needs a description (shown in the Secrets Manager console)',
      'test/fixtures/providers/incomplete/canonical.ts: no params schema for operation renewal-price',
      "test/fixtures/providers/incomplete/native.ts is missing (the normalizers of the provider's native routes)",
      'test/fixtures/providers/incomplete/call.ts is missing (the outgoing call and the classification of its answers)',
      'test/fixtures/providers/incomplete/openapi.ts is missing (its routes and examples in openapi.json)',
      'test/fixtures/providers/incomplete/sandbox.ts is missing (the local stand-in for the provider)',
    ]);
  });

  it('does not type-check where the compiler can see the piece', () => {
    // Each line below fails type checking without its @ts-expect-error, naming the piece.
    // @ts-expect-error -- Property 'config' is missing: a declaration needs its configuration names
    const noConfig = { id: 'x', name: 'X', operations: ['renew'], routes: [] } as const satisfies ProviderDeclaration;
    type TwoRoutes = Omit<typeof incomplete, 'routes'> & { readonly routes: readonly [{ method: 'POST'; path: '/v1/providers/incomplete/renew' }, { method: 'POST'; path: '/v1/providers/incomplete/other' }] };
    // @ts-expect-error -- Property '"/v1/providers/incomplete/other"' is missing: every declared route needs a normalizer
    const oneNormalizer: NativePart<TwoRoutes> = { '/v1/providers/incomplete/renew': () => ({ ok: true, value: { provider: 'pressone', operation: 'renew', subscription: 'x', params: {} } }) };
    // @ts-expect-error -- Property 'subscription' is missing: the subscription-reference rule
    const noSubscription: CanonicalPart<typeof incomplete> = { params: { renew: z.strictObject({}), 'renewal-price': z.strictObject({}) } };
    expect([noConfig, oneNormalizer, noSubscription]).toHaveLength(3);
  });
});
