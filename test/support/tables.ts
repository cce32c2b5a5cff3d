/** Per-test tables in the shared DynamoDB Local, created from the system description. */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { localDynamoClient } from '../../local/dynamo';
import { createTable } from '../../local/resources';

export const uniquePrefix = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

export const createRenewalTable = async (label: string) => {
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const tableName = `${uniquePrefix(label)}-renewals`;
  await createTable(dynamo, tableName);
  return { dynamo, tableName };
};
