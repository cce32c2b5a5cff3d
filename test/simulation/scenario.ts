/**
 * Scenarios, generated from a seed: which provider, which renewals arrive when (webhooks, repeats,
 * overlapping deliveries), which schedules and scheduler runs, and how every component misbehaves.
 * A scenario is plain data: the same seed always gives the same scenario (and, run, the same trace).
 *
 * Most scenarios turn on only a few faults, so that each fault is seen both alone and in company.
 */
import type { CanonicalRequest } from '../../shared/domain/canonical';
import { SIMULATED_PROVIDERS, type SimulatedProvider } from './world/dialects';
import { Prng } from './sim/prng';
import type { ServiceProfile } from './sim/actor-io';
import { NO_FAULTS, type ProviderFaults } from './world/provider';
import { SIMULATION_START } from './sim/clock';

export interface IntentSpec {
  readonly key: string;
  readonly request: CanonicalRequest;
  /** ms after the start. */
  readonly at: number;
  /** Identical requests sent at once on the first delivery (a sender's own retry racing the first). */
  readonly copies: number;
  /** Delays of the sender's retries while no delivery got a 2xx. */
  readonly retries: readonly number[];
}

export interface ScheduleSpec {
  readonly subscription: string;
  /** The body of `PUT …/schedule`. */
  readonly body: Readonly<Record<string, unknown>>;
}

export interface Scenario {
  readonly seed: number;
  readonly provider: SimulatedProvider;
  readonly intents: readonly IntentSpec[];
  readonly schedules: readonly ScheduleSpec[];
  /** ms after the start; a time listed twice is two overlapping runs. */
  readonly schedulerRuns: readonly number[];
  readonly faults: ProviderFaults;
  readonly dynamo: ServiceProfile;
  readonly sqs: ServiceProfile & { readonly duplicate: number };
  /** Probability that an invocation of each function crashes at one of its awaits. */
  readonly crash: { readonly consumer: number; readonly intake: number; readonly scheduler: number };
  readonly redriveAt?: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const DAY = 86_400_000;
const SENDER_RETRIES = [5_000, 300_000, 1_800_000, 7_200_000] as const;

const requestFor = (provider: SimulatedProvider, i: number, rng: Prng): CanonicalRequest => {
  switch (provider) {
    case 'pressone':
      return { provider, operation: 'renew', subscription: `user${i}@example.com`, params: {} };
    case 'pelcro':
      return { provider, operation: 'renew', subscription: String(100 + i), params: { api: 'core', siteId: 1, userId: 500 + i, planId: 3, quantity: 1, source: 'API' } };
    case 'punchh': {
      const start = SIMULATION_START + 30 * DAY + i * 31 * DAY;
      return { provider, operation: 'renew', subscription: String(40 + i), params: { startTime: iso(start), endTime: iso(start + 31 * DAY), purchasePrice: 9.99 } };
    }
    case 'digitalriver': {
      const [operation, params] = rng.pick([
        ['renewal-quantity', { renewalQuantity: rng.int(1, 9) }],
        ['renewal-type', { autoRenewal: rng.chance(0.5) }],
        ['renewal-product', { renewalProductId: `prod-${rng.int(1, 9)}` }],
        ['renewal-price', { renewalUnitPrice: rng.int(100, 999) / 100 }],
      ] as const);
      return { provider, operation, subscription: `sub-${i}`, params };
    }
  }
};

const scheduleFor = (provider: SimulatedProvider, i: number, at: number): ScheduleSpec | undefined => {
  const nextRunAt = iso(SIMULATION_START + at);
  switch (provider) {
    case 'pressone':
      return { subscription: `scheduled${i}@example.com`, body: { cadence: 'P1M', nextRunAt } };
    case 'pelcro':
      return { subscription: String(900 + i), body: { cadence: 'P1M', nextRunAt, params: { api: 'core', siteId: 1, userId: 900 + i, planId: 3, quantity: 1, source: 'API' } } };
    case 'punchh':
      return {
        subscription: String(90 + i),
        body: { cadence: 'P1M', nextRunAt, params: { purchasePrice: 9.99 }, term: { startTime: iso(SIMULATION_START - 30 * DAY), endTime: nextRunAt } },
      };
    case 'digitalriver':
      return undefined;
  }
};

/** A probability that is 0 in most scenarios and in [lo, hi] in a fraction `on` of them. */
const sometimes = (rng: Prng, on: number, lo: number, hi: number): number => (rng.chance(on) ? rng.between(lo, hi) : 0);

const providerFaults = (rng: Prng, provider: SimulatedProvider): ProviderFaults => {
  const accountAuth = provider !== 'pelcro';
  return {
    ...NO_FAULTS,
    slow: sometimes(rng, 0.25, 0.2, 0.8),
    slowMs: [10_100, rng.pick([14_000, 25_000, 60_000])],
    lostAnswer: sometimes(rng, 0.2, 0.1, 0.5),
    reset: sometimes(rng, 0.15, 0.1, 0.5),
    notSent: sometimes(rng, 0.1, 0.1, 0.5),
    busy: sometimes(rng, 0.25, 0.2, 0.7),
    retryAfterSeconds: [0, rng.pick([1, 5, 30, 120])],
    serverError: sometimes(rng, 0.2, 0.1, 0.5),
    readLagMs: rng.chance(0.3) ? rng.between(500, 30_000) : 0,
    readError: sometimes(rng, 0.1, 0.1, 0.5),
    refusedForMs: accountAuth && rng.chance(0.15) ? rng.pick([Infinity, rng.between(60_000, 4 * 3_600_000)]) : 0,
  };
};

export const generateScenario = (seed: number): Scenario => {
  const rng = new Prng(seed).fork('scenario');
  const provider = rng.pick(SIMULATED_PROVIDERS);
  const faults = providerFaults(rng, provider);
  // Bursts fill batches (the auth-pause and rate-limit paths need them).
  const burst = rng.chance(faults.refusedForMs > 0 ? 0.35 : 0.06);
  const count = burst ? rng.int(10, 20) : rng.int(1, 4);
  const spread = burst ? rng.pick([0, 500, 2_000]) : rng.pick([0, 2_000, 60_000]);
  const duplicates = sometimes(rng, 0.3, 0.3, 0.8);
  const sameTerm = provider === 'punchh' ? sometimes(rng, 0.4, 0.3, 0.7) : 0;

  const intents: IntentSpec[] = [];
  for (let i = 0; i < count; i++) {
    const previous = intents.at(-1);
    // Punchh: another key for the term of the previous renewal (the period lock must hold).
    const request = previous && rng.chance(sameTerm) ? previous.request : requestFor(provider, i, rng);
    const notBefore = rng.chance(0.05) ? { notBefore: iso(SIMULATION_START + rng.pick([30_000, 20 * 60_000])) } : {};
    intents.push({
      key: `intent-${i}`,
      request: { ...request, ...notBefore },
      at: Math.round(rng.between(0, spread)),
      copies: rng.chance(duplicates) ? 2 : 1,
      retries: SENDER_RETRIES.slice(0, rng.int(0, SENDER_RETRIES.length)),
    });
  }

  const schedules: ScheduleSpec[] = [];
  const schedulerRuns: number[] = [];
  if (rng.chance(0.2)) {
    for (let i = 0; i < rng.int(1, 3); i++) {
      const s = scheduleFor(provider, i, rng.int(1_000, 50_000));
      if (s) schedules.push(s);
    }
    const overlap = rng.chance(0.5);
    for (let run = 1; run <= rng.int(1, 2); run++) {
      schedulerRuns.push(run * 60_000);
      // EventBridge delivers at least once, and runs may overlap.
      if (overlap && rng.chance(0.7)) schedulerRuns.push(run * 60_000 + Math.round(rng.between(0, 300)));
    }
  }

  return {
    seed,
    provider,
    intents,
    schedules,
    schedulerRuns,
    faults,
    dynamo: { minMs: 2, maxMs: rng.pick([12, 40]), failure: sometimes(rng, 0.1, 0.01, 0.08), replay: sometimes(rng, 0.12, 0.01, 0.15) },
    sqs: { minMs: 5, maxMs: 40, failure: sometimes(rng, 0.15, 0.1, 0.5), replay: 0, duplicate: sometimes(rng, 0.2, 0.01, 0.05) },
    crash: { consumer: sometimes(rng, 0.3, 0.1, 0.8), intake: sometimes(rng, 0.2, 0.1, 0.5), scheduler: sometimes(rng, 0.2, 0.1, 0.5) },
    ...(rng.chance(0.2) ? { redriveAt: rng.pick([3_600_000, DAY]) } : {}),
  };
};
