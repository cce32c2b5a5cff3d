/**
 * The status list's path and query checks are written by hand (functions/status/list-request.ts,
 * to keep zod out of the status bundle). They must answer exactly what the zod schemas they
 * replaced answered: the same values, and the same problem-document errors in the same order.
 */
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { issuesToFieldErrors } from '../../shared/domain/canonical';
import { PROVIDERS } from '../../shared/system';
import { parseListPath, parseListQuery, type Checked } from '../../functions/status/list-request';
import { listPath, listQuery } from '../../functions/status/list-schema';

const viaZod = <T>(schema: z.ZodType<T>, input: Record<string, unknown>, prefix: string): Checked<T> => {
  const r = schema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: issuesToFieldErrors(r.error.issues, [prefix]) };
};

const LIMITS = [
  undefined, '', ' ', '0', '1', ' 7 ', '20', '100', '101', '-1', '-0', '1.5', '0.5', '1e2', '1e3', '0x10', '0b11', 'abc', 'NaN',
  'Infinity', '-Infinity', '9007199254740991', '9007199254740992', '1e300', '-1e300', '-9007199254740993', '12abc', '\t3\n',
];
const CURSORS = [undefined, '', 'a', 'x'.repeat(2048), 'x'.repeat(2049), 'eyJwayI6IlJFTkVXQUwjcm53In0'];
const EXTRA: Array<Record<string, string>> = [{}, { foo: '1' }, { foo: '1', bar: '' }, { LIMIT: '5' }];

const drop = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

describe('status list checks (hand-written, as zod answered)', () => {
  it('query: every combination of limit, cursor and unknown keys', () => {
    let compared = 0;
    for (const limit of LIMITS) {
      for (const cursor of CURSORS) {
        for (const extra of EXTRA) {
          const input = drop({ limit, cursor, ...extra });
          expect(parseListQuery(input), JSON.stringify(input)).toEqual(viaZod(listQuery, input, 'query'));
          compared++;
        }
      }
    }
    expect(compared).toBe(LIMITS.length * CURSORS.length * EXTRA.length);
  });

  it('query: a key present with no value is the same as one absent', () => {
    const input = { limit: undefined, cursor: undefined };
    expect(parseListQuery(input)).toEqual(viaZod(listQuery, input, 'query'));
    expect(parseListQuery(input)).toEqual({ ok: true, value: { limit: 20 } });
  });

  it('path: providers known and unknown, references of every length that matters', () => {
    for (const provider of [...PROVIDERS, undefined, '', 'PressOne', 'paypal', 'pressone ']) {
      for (const subscriptionRef of [undefined, '', 'a', 'someone@example.com', 'r'.repeat(320), 'r'.repeat(321)]) {
        for (const extra of [{}, { other: 'x' }]) {
          const input = drop({ provider, subscriptionRef, ...extra });
          expect(parseListPath(input), JSON.stringify(input)).toEqual(viaZod(listPath, input, 'path'));
        }
      }
    }
  });
});
