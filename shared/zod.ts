/**
 * The zod every Lambda bundle carries: `zod/mini`, its functional API (`z.optional(s)`,
 * `s.check(z.minLength(1))`), with zod's English messages. Same core, same issues and messages as
 * classic zod, but only the schemas used are bundled: classic zod's chainable methods tie every
 * schema type (and its JSON Schema generator) into each bundle, ~97 KiB parsed at every cold
 * start, against ~30 KiB here (README "Lambda bundles and cold-start module load").
 *
 * Import it as `import * as z from '<path>/zod'`, never `zod` or `zod/mini` directly: this module
 * sets the messages before any schema parses (classic zod sets them itself; mini does not).
 */
import { config } from 'zod/mini';
// Named, so the bundle holds English alone (`z.locales.en` would keep all 40 locales, 259 KiB).
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';
