import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { TableDescription } from '../../shared/system';

export interface RenewalTableProps {
  /** The table as `shared/system.ts` describes it: keys and global secondary indexes. */
  readonly description: TableDescription;
  /**
   * What happens to the table when it leaves the stack. The table is the renewal ledger and the
   * double-renewal lock (docs/architecture.md#no-double-renewal), so losing it by accident is the
   * worst outcome.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Write units a second the table and each index serve at once (pre-warmed, DynamoDB warm
   * throughput): the month-start fan-out needs more than a new on-demand table's 4,000
   * (README#performance-npm-run-bench prints the figure). Unset: DynamoDB's own (4,000 for a new
   * table, then twice its previous peak).
   */
  readonly warmWritesPerSecond?: number;
  /**
   * DynamoDB deletion protection, which also blocks a manual delete in the console.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Customer-managed KMS key for encryption at rest.
   * @default - the AWS-managed key `aws/dynamodb` (encrypted, no key to administer)
   */
  readonly encryptionKey?: IKey;
}

/**
 * The one DynamoDB table of the system (renewals, attempts, idempotency records, subscriptions):
 * on demand, point-in-time recovery, encrypted, protected against deletion by default.
 * The physical name is generated so several stages share an account; functions get it as
 * `TABLE_NAME` through `GatewayFunction.useTable`.
 */
export class RenewalTable extends Construct {
  public readonly table: Table;
  /** The description this table was built from (keys, indexes). */
  public readonly description: TableDescription;

  constructor(scope: Construct, id: string, props: RenewalTableProps) {
    super(scope, id);
    const { description } = props;
    this.description = description;
    const names = new Set<string>();
    for (const index of description.indexes) {
      if (names.has(index.name)) throw new Error(`RenewalTable: index ${index.name} is described twice`);
      names.add(index.name);
    }

    this.table = new Table(this, 'Table', {
      partitionKey: { name: description.partitionKey, type: AttributeType.STRING },
      sortKey: { name: description.sortKey, type: AttributeType.STRING },
      // Renewal traffic is bursty (webhooks, schedule runs) and small; on demand costs nothing idle.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(props.encryptionKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: TableEncryption.AWS_MANAGED }),
      deletionProtection: props.deletionProtection ?? true,
      ...(description.timeToLiveAttribute ? { timeToLiveAttribute: description.timeToLiveAttribute } : {}),
      // The outbox of events: every write, with old and new images (docs/architecture.md#events-the-table-stream-is-the-outbox).
      ...(description.stream === 'NEW_AND_OLD_IMAGES' ? { stream: StreamViewType.NEW_AND_OLD_IMAGES } : {}),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.warmWritesPerSecond !== undefined ? { warmThroughput: { writeUnitsPerSecond: props.warmWritesPerSecond } } : {}),
    });

    for (const index of description.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        // Only what the index's queries read (keys only by default: they read the items with a
        // BatchGetItem), so writes that change other attributes do not write the index too.
        // Items without the index keys stay out (sparse).
        ...(index.projection?.type === 'INCLUDE'
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection.attributes] }
          : { projectionType: index.projection?.type === 'ALL' ? ProjectionType.ALL : ProjectionType.KEYS_ONLY }),
        ...(props.warmWritesPerSecond !== undefined ? { warmThroughput: { writeUnitsPerSecond: props.warmWritesPerSecond } } : {}),
      });
    }
  }
}
