/**
 * The provider registry: one line per provider, in the order of their sandbox ports
 * (docs/adding-a-provider.md). Everything else the gateway has per provider derives from here:
 * routes, validation, queues and consumers (shared/system.ts), secrets and context options
 * (infra/), the local stack and its defaults (local/).
 */
import type { ProviderDeclaration } from './declaration';
import { pressone } from './pressone/index';
import { pelcro } from './pelcro/index';
import { punchh } from './punchh/index';
import { digitalriver } from './digitalriver/index';

export const REGISTRY = [pressone, pelcro, punchh, digitalriver] as const satisfies readonly ProviderDeclaration[];

export type RegisteredProvider = (typeof REGISTRY)[number];
