/**
 * SQS errors as the AWS JSON 1.0 protocol reports them.
 *
 * `@aws-sdk/client-sqs` is generated with `awsQueryCompatible`: when the `x-amzn-query-error`
 * header is present it takes the error code from that header first (before `__type`) and then
 * looks the code up either as a shape name or as the shape's `awsQueryError` code. So the header
 * must carry the *query* code ("AWS.SimpleQueueService.NonExistentQueue", "QueueAlreadyExists",
 * ...) for the SDK to build its named exception class (`QueueDoesNotExist`, `QueueNameExists`,
 * ...). Codes without a modelled shape (InvalidParameterValue, MissingParameter) still come out
 * as `SQSServiceException` with `name` set to the code, exactly as against real SQS.
 */
export class SqsError extends Error {
  constructor(
    /** Shape name: used for `__type` and for `Code` in batch result entries. */
    readonly code: string,
    message: string,
    /** Code for the `x-amzn-query-error` header (the SDK maps it to its exception classes). */
    readonly queryCode: string = code,
    readonly status: number = 400,
    readonly senderFault: boolean = true,
  ) {
    super(message);
    this.name = code;
  }
}

export const queueDoesNotExist = (): SqsError =>
  new SqsError('QueueDoesNotExist', 'The specified queue does not exist.', 'AWS.SimpleQueueService.NonExistentQueue');

export const queueNameExists = (name: string): SqsError =>
  new SqsError(
    'QueueNameExists',
    `A queue already exists with the same name (${name}) and a different value for attribute(s).`,
    'QueueAlreadyExists',
  );

export const receiptHandleIsInvalid = (handle: string): SqsError =>
  new SqsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
    'ReceiptHandleIsInvalid',
    404,
  );

export const invalidParameterValue = (message: string): SqsError => new SqsError('InvalidParameterValue', message);

export const missingParameter = (name: string): SqsError =>
  new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);

export const invalidAttributeValue = (name: string, reason?: string): SqsError =>
  new SqsError(
    'InvalidAttributeValue',
    reason ? `Invalid value for the parameter ${name}. Reason: ${reason}` : `Invalid value for the parameter ${name}.`,
  );

export const invalidAttributeName = (name: string): SqsError =>
  new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);

export const invalidAddress = (url: string): SqsError =>
  new SqsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`, 'InvalidAddress', 404);

export const invalidMessageContents = (message: string): SqsError => new SqsError('InvalidMessageContents', message);

export const unsupportedOperation = (message: string): SqsError =>
  new SqsError('UnsupportedOperation', message, 'AWS.SimpleQueueService.UnsupportedOperation');

export const emptyBatchRequest = (): SqsError =>
  new SqsError(
    'EmptyBatchRequest',
    'There should be at least one entry in the request.',
    'AWS.SimpleQueueService.EmptyBatchRequest',
  );

export const tooManyEntriesInBatchRequest = (count: number): SqsError =>
  new SqsError(
    'TooManyEntriesInBatchRequest',
    `Maximum number of entries per request are 10. You have sent ${count}.`,
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  );

export const batchEntryIdsNotDistinct = (id: string): SqsError =>
  new SqsError(
    'BatchEntryIdsNotDistinct',
    `Id ${id} repeated.`,
    'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  );

export const invalidBatchEntryId = (): SqsError =>
  new SqsError(
    'InvalidBatchEntryId',
    'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
    'AWS.SimpleQueueService.InvalidBatchEntryId',
  );

export const batchRequestTooLong = (limit: number): SqsError =>
  new SqsError(
    'BatchRequestTooLong',
    `Batch requests cannot be longer than ${limit} bytes.`,
    'AWS.SimpleQueueService.BatchRequestTooLong',
  );

export const serializationException = (message: string): SqsError => new SqsError('SerializationException', message);

/**
 * Not a query-compatible legacy code: the SDK models `awsQueryError` "ResourceNotFoundException"
 * with HTTP 404 (the status SQS answers for an unknown move-task source, destination or task).
 */
export const resourceNotFound = (message: string): SqsError =>
  new SqsError('ResourceNotFoundException', message, 'ResourceNotFoundException', 404);
