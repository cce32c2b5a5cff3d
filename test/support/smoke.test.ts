import { inject, it, expect } from 'vitest';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../local/dynamo';

it('DynamoDB Local from the global setup answers', async () => {
  const client = localDynamoClient(inject('dynamoEndpoint'));
  const out = await client.send(new ListTablesCommand({}));
  expect(Array.isArray(out.TableNames)).toBe(true);
  client.destroy();
});
