/**
 * `consumer-pressone` -> `ConsumerPressone`: construct ids derived from the ids in
 * `shared/system.ts`, so logical ids read like the description and stay stable while it grows.
 * Only construct ids: physical names are always left to CloudFormation.
 */
export const pascal = (id: string): string =>
  id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** `consumer-pressone` -> `consumerPressone`: context keys derived from the ids in `shared/system.ts`. */
export const camel = (id: string): string => {
  const p = pascal(id);
  return p.charAt(0).toLowerCase() + p.slice(1);
};
