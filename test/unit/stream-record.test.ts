/** The local stream poller hands the events function records in Lambda's shape (local/streams/poller.ts). */
import { describe, expect, it } from 'vitest';
import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { toLambdaRecord } from '../../local/streams/poller';

describe('toLambdaRecord', () => {
  it('keeps JSON attribute values, base64-encodes binary, gives times in epoch seconds, and drops DynamoDB Local’s untyped empties', () => {
    const record: StreamRecord = {
      eventID: 'e1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      dynamodb: {
        ApproximateCreationDateTime: new Date('2026-11-29T08:00:00.000Z'),
        Keys: { pk: { S: 'RENEWAL#x' }, sk: { S: 'RENEWAL' } },
        NewImage: {
          pk: { S: 'RENEWAL#x' },
          n: { N: '3' },
          b: { B: new Uint8Array([1, 2, 3]) },
          l: { L: [{ S: 'a' }, { M: { x: { BOOL: true } } }] },
          // DynamoDB Local writes an empty list or map as an untyped `{}`.
          params: {} as unknown as { S: string },
        },
        SequenceNumber: '000000000000000000007',
        SizeBytes: 42,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
    expect(toLambdaRecord(record, 'arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x', 'ddblocal')).toEqual({
      eventID: 'e1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      eventSourceARN: 'arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x',
      dynamodb: {
        ApproximateCreationDateTime: 1795939200,
        Keys: { pk: { S: 'RENEWAL#x' }, sk: { S: 'RENEWAL' } },
        NewImage: { pk: { S: 'RENEWAL#x' }, n: { N: '3' }, b: { B: 'AQID' }, l: { L: [{ S: 'a' }, { M: { x: { BOOL: true } } }] } },
        SequenceNumber: '000000000000000000007',
        SizeBytes: 42,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
  });
});
