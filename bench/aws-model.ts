/**
 * The AWS figures the benchmark's models use: quotas and prices, each with where it comes from.
 * Prices are us-east-1 list prices as of 2026-11, before free tiers.
 */
export const PRICES_AS_OF = '2026-11 (us-east-1 list prices, no free tier)';

export const PRICES = {
  /** HTTP API, first 300M requests a month, per million. */
  httpApiPerMillion: 1.0,
  /** Lambda requests, per million. */
  lambdaRequestsPerMillion: 0.2,
  /** Lambda duration on arm64, per GB-second. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** SQS standard, per million requests (each 64 KB chunk of a payload is a request). */
  sqsPerMillion: 0.4,
  /** DynamoDB on-demand, per million write request units (1 KB each; transactional: 2). */
  dynamoWritePerMillion: 0.625,
  /** DynamoDB on-demand, per million read request units (4 KB strongly consistent; eventually consistent: 0.5). */
  dynamoReadPerMillion: 0.125,
  /** X-Ray traces recorded, per million. */
  xrayTracesPerMillion: 5.0,
} as const;

export const QUOTAS = {
  /** DynamoDB: a partition (of a table or of an index) serves at most 1,000 WCU/s and 3,000 RCU/s. */
  dynamoPartitionWcuPerSecond: 1000,
  /**
   * DynamoDB on-demand: a new table's "previous peak" counts as 2,000 WRU/s, and on-demand serves
   * up to twice the previous peak at once, so 4,000 WRU/s from day one; more after a higher peak,
   * or by setting warm throughput ahead of the first of the month.
   */
  dynamoNewOnDemandTableWruPerSecond: 4000,
  /** SQS standard queues: "nearly unlimited" API calls per second; SendMessageBatch carries 10 messages. */
  sqsBatchEntries: 10,
  /** SQS standard: at most 120,000 in-flight (received, not deleted) messages per queue. */
  sqsInFlight: 120_000,
  /** Lambda: 1,000 concurrent executions per account and region by default. */
  lambdaAccountConcurrency: 1000,
  /** Lambda SQS event source: starts with up to 5 concurrent invocations, then adds up to 300 a minute (standard queues). */
  lambdaSqsInitialConcurrency: 5,
  lambdaSqsScalePerMinute: 300,
  /** Lambda: 1,769 MB of memory is one full vCPU; CPU is proportional to memory. */
  lambdaMbPerVcpu: 1769,
  /** EventBridge rate(1 minute): a tick somewhere in each minute. */
  ruleTickSeconds: 60,
} as const;

export interface SchedulerModelInput {
  /** Schedules due at once. */
  readonly schedules: number;
  /** Measured CPU per schedule on this machine, ms of one core. */
  readonly cpuMsPerSchedule: number;
  /** Measured requests per schedule. */
  readonly writesPerSchedule: number;
  readonly sqsRequestsPerSchedule: number;
  readonly shards: number;
  readonly workers: number;
  readonly workerMemoryMb: number;
  /** Writes in flight per worker, and the DynamoDB latency assumed for each (single-digit ms). */
  readonly writesInFlight: number;
  readonly writeLatencyMs: number;
  /** Base-table write units per schedule (renewal create + schedule advance, items under 1 KB). */
  readonly tableWruPerSchedule: number;
  /** Due-index write units per schedule: the advance moves the entry (a delete and a put). */
  readonly dueIndexWruPerSchedule: number;
  /** Partitions of the inbox's open bucket, which every new renewal enters (one write each). */
  readonly inboxShards: number;
  /**
   * Write units a second the table and each index serve at once: a new on-demand table's 4,000,
   * or what `-c tableWarmWritesPerSecond` pre-warms them to.
   */
  readonly warmWru: number;
}

/**
 * The events function (docs/architecture.md#the-event-log-a-dense-sequence) logs each new
 * renewal's `queued` event on the same table while the fan-out runs: per event a transaction
 * writes the event and its id marker (two items, two units each: 4 units), chunks of 49 events
 * sharing one counter update; and every event is in the one `EVENTLOG` partition, whose 1,000
 * units a second at two per item log at most 500 events a second. So it takes up to 2,000 of the
 * table's units a second, whatever the fan-out's rate, and lags it.
 */
export const EVENT_LOG = { wruPerEvent: 4, eventsPerSecond: QUOTAS.dynamoPartitionWcuPerSecond / 2 } as const;

export interface SchedulerModelLine {
  readonly step: string;
  readonly figure: string;
}

/**
 * Seconds before the fleet works at full rate: the rule ticks somewhere in the first minute (count
 * all of it); the event source starts 5 workers at once and adds the rest at up to 300 a minute
 * (count that time as lost too).
 */
const rampSecondsOf = (workers: number): number =>
  Math.ceil(QUOTAS.ruleTickSeconds + (Math.max(0, workers - QUOTAS.lambdaSqsInitialConcurrency) / QUOTAS.lambdaSqsScalePerMinute) * 60);

/** How long one million (or `schedules`) due at 00:00 take to be queued in AWS, from measured costs and named quotas. */
export const schedulerModel = (m: SchedulerModelInput): { lines: SchedulerModelLine[]; seconds: number } => {
  const vcpu = Math.min(1, m.workerMemoryMb / QUOTAS.lambdaMbPerVcpu);
  const cpuRate = (vcpu * 1000) / m.cpuMsPerSchedule;
  // The writes of a page go `writesInFlight` at a time; reads and sends are a few requests per page.
  const ioRate = (m.writesInFlight * 1000) / (m.writeLatencyMs * m.writesPerSchedule);
  // CPU and waiting do not overlap fully: add the two times per schedule (pessimistic).
  const workerRate = 1 / (1 / cpuRate + 1 / ioRate);
  const fleetRate = workerRate * m.workers;
  const shardCap = (QUOTAS.dynamoPartitionWcuPerSecond / m.dueIndexWruPerSchedule) * m.shards;
  const inboxCap = QUOTAS.dynamoPartitionWcuPerSecond * m.inboxShards;
  // The index as a whole: the due index takes the most per schedule (the advance moves its entry).
  const indexCap = m.warmWru / m.dueIndexWruPerSchedule;
  // The table: the fan-out's own writes plus what the events function takes meanwhile.
  const eventsWru = EVENT_LOG.wruPerEvent * EVENT_LOG.eventsPerSecond;
  const tableCap = Math.max(0, m.warmWru - eventsWru) / m.tableWruPerSchedule;
  const caps: Array<[number, string]> = [
    [fleetRate, 'the workers (CPU and write latency)'],
    [shardCap, 'the due index partitions'],
    [inboxCap, 'the inbox partitions'],
    [indexCap, 'the due index as a whole'],
    [tableCap, 'the table, shared with the event log'],
  ];
  const [rate, bound] = caps.reduce((a, b) => (b[0] < a[0] ? b : a));
  const rampSeconds = rampSecondsOf(m.workers);
  const workSeconds = m.schedules / rate;
  const seconds = rampSeconds + workSeconds;
  const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const lines: SchedulerModelLine[] = [
    { step: 'worker CPU', figure: `${f(m.cpuMsPerSchedule, 2)} ms per schedule measured here; ${m.workerMemoryMb} MB = ${f(vcpu, 2)} vCPU (1,769 MB per vCPU) → ${f(cpuRate)} schedules/s per worker` },
    { step: 'worker waiting', figure: `${f(m.writesPerSchedule, 2)} conditional writes per schedule, ${m.writesInFlight} in flight at ${m.writeLatencyMs} ms each → ${f(ioRate)} schedules/s per worker` },
    { step: 'one worker', figure: `${f(workerRate)} schedules/s (CPU time and waiting added, no overlap)` },
    { step: 'workers', figure: `${m.workers} (one per shard; the scheduler queue's maximumConcurrency) → ${f(fleetRate)} schedules/s` },
    { step: 'due index partitions', figure: `${m.shards} shards × 1,000 WCU/s ÷ ${m.dueIndexWruPerSchedule} WCU per advance → at most ${f(shardCap)} schedules/s` },
    { step: 'inbox partitions', figure: `each new renewal enters the inbox's open bucket: ${m.inboxShards} shards × 1,000 WCU/s ÷ 1 WCU → at most ${f(inboxCap)} schedules/s (a throttled index write throttles the table's)` },
    { step: 'due index', figure: `${f(m.warmWru)} WRU/s at once ÷ ${m.dueIndexWruPerSchedule} WRU per advance → at most ${f(indexCap)} schedules/s (the inbox and bySubscription take 1 each)` },
    {
      step: 'table',
      figure: `${f(m.warmWru)} WRU/s at once, less the event log's ${f(eventsWru)} (its one partition logs ≤ ${f(EVENT_LOG.eventsPerSecond)} events/s at ${EVENT_LOG.wruPerEvent} WRU each, lagging the fan-out), ÷ ${m.tableWruPerSchedule} WRU per schedule → at most ${f(tableCap)} schedules/s`,
    },
    { step: 'SQS', figure: `${f(m.sqsRequestsPerSchedule, 3)} requests per schedule → ${f(rate * m.sqsRequestsPerSchedule)} SendMessageBatch/s: standard queues take nearly unlimited calls; messages wait in the queue, not in flight (120,000 limit)` },
    { step: 'Lambda', figure: `${m.workers + 1} concurrent executions of the account's 1,000; the event source starts 5 and adds up to 300 a minute` },
    { step: 'rate', figure: `${f(rate)} schedules/s, bounded by ${bound}` },
    { step: 'start', figure: `${rampSeconds} s: the rule ticks within the minute, then the event source brings the workers from 5 to ${m.workers} (both counted as lost)` },
    {
      step: 'event log',
      figure: `${f(m.schedules)} queued events at ≤ ${f(EVENT_LOG.eventsPerSecond)}/s: logged (and pushed to endpoints) up to ${f(m.schedules / EVENT_LOG.eventsPerSecond / 60)} min after the fan-out began; the stream keeps records 24 h`,
    },
    { step: `${f(m.schedules)} schedules`, figure: `${f(rampSeconds)} s + ${f(workSeconds)} s = ${f(seconds)} s (${f(seconds / 60, 1)} min)` },
  ];
  return { lines, seconds };
};

/** The warm write units a second the table and its indexes need for `schedules` to be queued within `seconds` (the model's other bounds aside). */
export const warmWruFor = (m: Omit<SchedulerModelInput, 'warmWru'>, seconds: number): number => {
  const rate = m.schedules / (seconds - rampSecondsOf(m.workers));
  const need = Math.max(rate * m.tableWruPerSchedule + EVENT_LOG.wruPerEvent * EVENT_LOG.eventsPerSecond, rate * m.dueIndexWruPerSchedule, QUOTAS.dynamoNewOnDemandTableWruPerSecond);
  return Math.ceil(need / 1000) * 1000;
};
