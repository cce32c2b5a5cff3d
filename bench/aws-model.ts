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
}

export interface SchedulerModelLine {
  readonly step: string;
  readonly figure: string;
}

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
  const tableCap = QUOTAS.dynamoNewOnDemandTableWruPerSecond / m.tableWruPerSchedule;
  const inboxCap = QUOTAS.dynamoPartitionWcuPerSecond * m.inboxShards;
  const rate = Math.min(fleetRate, shardCap, tableCap, inboxCap);
  const bound =
    rate === fleetRate ? 'the workers (CPU and write latency)' : rate === shardCap ? 'the due index partitions' : rate === inboxCap ? 'the inbox partitions' : 'the new on-demand table';
  // Start: the rule ticks somewhere in the first minute (count all of it); the event source starts
  // 5 workers at once and adds the rest at up to 300 a minute (count that time as lost too).
  const rampSeconds = Math.ceil(QUOTAS.ruleTickSeconds + (Math.max(0, m.workers - QUOTAS.lambdaSqsInitialConcurrency) / QUOTAS.lambdaSqsScalePerMinute) * 60);
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
    { step: 'table', figure: `new on-demand table: 4,000 WRU/s at once ÷ ${m.tableWruPerSchedule} WRU per schedule → at most ${f(tableCap)} schedules/s` },
    { step: 'SQS', figure: `${f(m.sqsRequestsPerSchedule, 3)} requests per schedule → ${f(rate * m.sqsRequestsPerSchedule)} SendMessageBatch/s: standard queues take nearly unlimited calls; messages wait in the queue, not in flight (120,000 limit)` },
    { step: 'Lambda', figure: `${m.workers + 1} concurrent executions of the account's 1,000; the event source starts 5 and adds up to 300 a minute` },
    { step: 'rate', figure: `${f(rate)} schedules/s, bounded by ${bound}` },
    { step: 'start', figure: `${rampSeconds} s: the rule ticks within the minute, then the event source brings the workers from 5 to ${m.workers} (both counted as lost)` },
    { step: 'beyond the new-table bound', figure: `a table whose previous peak was higher (last month's run), or given warm throughput ahead of the date, lifts it to ${f(Math.min(fleetRate, shardCap, inboxCap))} schedules/s` },
    { step: `${f(m.schedules)} schedules`, figure: `${f(rampSeconds)} s + ${f(workSeconds)} s = ${f(seconds)} s (${f(seconds / 60, 1)} min)` },
  ];
  return { lines, seconds };
};
