/**
 * The shape of an event type, apart from shared/events/event.ts (which derives events from stream
 * images with the SDK's unmarshall): the routes that only check a type import this alone.
 */
/** `renewal.failed`, `endpoint.disabled`: the shape of an event type in a query, a rule or an endpoint's `types`. */
export const EVENT_TYPE = /^(renewal|endpoint)\.[a-z][a-z_]{0,39}$/;
