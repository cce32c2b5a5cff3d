/**
 * The public surface of the DynamoDB adapters, as types the in-memory versions implement.
 *
 * `RenewalStore` and `ScheduleStore` are classes with private fields, which TypeScript compares
 * nominally: nothing else is assignable to them. `Public<…>` is their public methods, so
 * `implements RenewalStoreApi` fails to compile the moment a method is added to or changed in the
 * DynamoDB adapter; `asRenewalStore` is the one place the in-memory store is handed to code typed
 * with the class (the engine and intake call only public methods).
 */
import type { RenewalStore } from '../../../shared/adapters/renewal-store';
import type { ScheduleStore } from '../../../shared/adapters/schedule-store';

type Public<T> = { [K in keyof T]: T[K] };

export type RenewalStoreApi = Public<RenewalStore>;
export type ScheduleStoreApi = Public<ScheduleStore>;

export const asRenewalStore = (store: RenewalStoreApi): RenewalStore => store as RenewalStore;
export const asScheduleStore = (store: ScheduleStoreApi): ScheduleStore => store as ScheduleStore;
