/**
 * Laravel-style request validation for the Pelcro sandbox: Pelcro's API is a Laravel application
 * (its error bodies are Laravel's `{"message"}` and `{"errors": {"<field>": ["message"]}}`), so
 * the sandbox words and groups validation errors the way Laravel's validator does: every failing
 * field at once, one list of messages per field, the attribute named with spaces for underscores.
 *
 * One deliberate difference: types are strict JSON types. Laravel's `integer` and `boolean` rules
 * also accept "5", "1" and "true" strings; the sandbox does not, because docs/providers.md documents
 * int32 and boolean fields and a consumer sending proper JSON types is right with either.
 * (Query parameters are always strings, so `site_id` and `user_id` use `queryInteger`.)
 */

export type FieldErrors = Record<string, string[]>;

export type FieldRule =
  | { readonly type: 'integer'; readonly required?: boolean; readonly min?: number }
  | {
      readonly type: 'string';
      readonly required?: boolean;
      readonly min?: number;
      readonly max?: number;
      /** Laravel's `alpha_dash`, ASCII only (what docs/providers.md documents for campaign keys). */
      readonly alphaDash?: boolean;
      readonly in?: readonly string[];
    }
  | { readonly type: 'boolean'; readonly required?: boolean };

export type Rules = Readonly<Record<string, FieldRule>>;

/** `plan_id` → "plan id", as Laravel names attributes in messages. */
export const attribute = (field: string): string => field.replace(/_/g, ' ');

/** Laravel's `required`: absent, null, a blank string and an empty list all fail it. */
export const isMissing = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);

/**
 * Checks `input` against `rules`, adding messages to `errors` (first failing rule per field, as
 * Laravel stops a field at a type failure). A present `null` on an optional field fails its type
 * rule, as in Laravel without `nullable`.
 */
export const validate = (input: Readonly<Record<string, unknown>>, rules: Rules, errors: FieldErrors = {}): FieldErrors => {
  for (const [field, rule] of Object.entries(rules)) {
    const message = check(field, input[field], rule);
    if (message !== undefined) (errors[field] ??= []).push(message);
  }
  return errors;
};

const check = (field: string, value: unknown, rule: FieldRule): string | undefined => {
  const name = attribute(field);
  if (rule.required && isMissing(value)) return `The ${name} field is required.`;
  if (value === undefined) return undefined;
  switch (rule.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `The ${name} must be an integer.`;
      if (rule.min !== undefined && value < rule.min) return `The ${name} must be at least ${rule.min}.`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `The ${name} field must be true or false.`;
    case 'string':
      if (typeof value !== 'string') return `The ${name} must be a string.`;
      if (rule.in && !rule.in.includes(value)) return `The selected ${name} is invalid.`;
      if (rule.min !== undefined && value.length < rule.min) return `The ${name} must be at least ${rule.min} characters.`;
      if (rule.max !== undefined && value.length > rule.max) return `The ${name} may not be greater than ${rule.max} characters.`;
      if (rule.alphaDash && !/^[A-Za-z0-9_-]+$/.test(value)) return `The ${name} may only contain letters, numbers, dashes and underscores.`;
      return undefined;
  }
};

/** A required integer query parameter (query values are strings): the number, or the message. */
export const queryInteger = (field: string, raw: string | null): { ok: true; value: number } | { ok: false; message: string } => {
  if (raw === null || raw.trim() === '') return { ok: false, message: `The ${attribute(field)} field is required.` };
  if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(Number(raw))) return { ok: false, message: `The ${attribute(field)} must be an integer.` };
  return { ok: true, value: Number(raw) };
};
