/**
 * Message bodies and message attributes: validation as SQS does it, and the MD5 digests SQS
 * returns (`MD5OfMessageBody`, `MD5OfMessageAttributes`, `MD5OfMessageSystemAttributes`).
 *
 * The JS SDK v3 only checks the body digest, but other SDKs (Java, .NET, boto with checks on)
 * also verify the attribute digest, so it is computed with the documented algorithm rather than
 * left out: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
 */
import { createHash } from 'node:crypto';
import { invalidMessageContents, invalidParameterValue } from './errors';

export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Buffer;
}

export type MessageAttributes = ReadonlyMap<string, MessageAttributeValue>;

export const MAX_MESSAGE_ATTRIBUTES = 10;

export const md5Hex = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

/**
 * Characters SQS accepts in bodies and string attribute values (XML 1.0 characters). With the
 * `u` flag a lone surrogate is one code point outside every allowed range, so it is caught too.
 */
const INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function assertValidCharacters(value: string, what: string): void {
  if (INVALID_CHARACTER.test(value)) {
    throw invalidMessageContents(`Invalid characters found. Deleting the invalid characters from ${what} is required.`);
  }
}

/** Digest over attributes sorted by name: per attribute length-prefixed name, type, transport byte, value. */
export function md5OfMessageAttributes(attributes: MessageAttributes): string {
  const hash = createHash('md5');
  const length = Buffer.alloc(4);
  const putBytes = (bytes: Buffer): void => {
    length.writeUInt32BE(bytes.length, 0);
    hash.update(length);
    hash.update(bytes);
  };
  // Default sort compares UTF-16 code units, the same order as Java's String.compareTo used by the SDKs.
  const names = [...attributes.keys()].sort();
  for (const name of names) {
    const value = attributes.get(name);
    if (!value) continue;
    putBytes(Buffer.from(name, 'utf8'));
    putBytes(Buffer.from(value.DataType, 'utf8'));
    if (value.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      putBytes(value.BinaryValue);
    } else {
      hash.update(Buffer.from([1]));
      putBytes(Buffer.from(value.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

/** Bytes an attribute counts towards the message size limit (name + type + value). */
export function attributesSize(attributes: MessageAttributes): number {
  let size = 0;
  for (const [name, value] of attributes) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType, 'utf8');
    size += value.BinaryValue ? value.BinaryValue.length : Buffer.byteLength(value.StringValue ?? '', 'utf8');
  }
  return size;
}

const NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function assertValidName(name: string): void {
  const lower = name.toLowerCase();
  if (
    !NAME.test(name) ||
    name.startsWith('.') ||
    name.endsWith('.') ||
    name.includes('..') ||
    lower.startsWith('aws.') ||
    lower.startsWith('amazon.')
  ) {
    throw invalidParameterValue(
      `Message (user) attribute name '${name}' is invalid. The attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters; must not start or end with a period, contain consecutive periods, or start with AWS. or Amazon.`,
    );
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses `MessageAttributes` from a JSON request (binary values arrive base64-encoded).
 * List values are rejected because SQS itself reserves them and rejects them.
 */
export function parseMessageAttributes(raw: unknown): Map<string, MessageAttributeValue> {
  const out = new Map<string, MessageAttributeValue>();
  if (raw === undefined || raw === null) return out;
  if (!isRecord(raw)) throw invalidParameterValue('MessageAttributes must be a map of attribute name to value.');
  const names = Object.keys(raw);
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw invalidParameterValue(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  for (const name of names) {
    assertValidName(name);
    const value = raw[name];
    if (!isRecord(value)) throw invalidParameterValue(`The message attribute '${name}' must be an object.`);
    const dataType = value.DataType;
    if (typeof dataType !== 'string' || dataType === '') {
      throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
    }
    const base = dataType.split('.', 1)[0];
    if (dataType.length > 256 || (base !== 'String' && base !== 'Number' && base !== 'Binary')) {
      throw invalidParameterValue(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    if (value.StringListValues !== undefined || value.BinaryListValues !== undefined) {
      throw invalidParameterValue(
        `Message attribute '${name}': list values (StringListValues, BinaryListValues) are not supported by SQS.`,
      );
    }
    if (base === 'Binary') {
      const binary = value.BinaryValue;
      if (typeof binary !== 'string' || binary === '') {
        throw invalidParameterValue(
          `The message attribute '${name}' with type 'Binary' must use field 'Binary'.`,
        );
      }
      out.set(name, { DataType: dataType, BinaryValue: Buffer.from(binary, 'base64') });
      continue;
    }
    const text = value.StringValue;
    if (typeof text !== 'string' || text === '') {
      throw invalidParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${base}'.`,
      );
    }
    if (base === 'Number' && !NUMBER.test(text.trim())) {
      throw invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
    }
    assertValidCharacters(text, `message attribute '${name}'`);
    out.set(name, { DataType: dataType, StringValue: text });
  }
  return out;
}

/** `MessageSystemAttributes` on send: SQS only accepts `AWSTraceHeader` (a String). */
export function parseMessageSystemAttributes(raw: unknown): Map<string, MessageAttributeValue> {
  const out = new Map<string, MessageAttributeValue>();
  if (raw === undefined || raw === null) return out;
  if (!isRecord(raw)) throw invalidParameterValue('MessageSystemAttributes must be a map.');
  for (const [name, value] of Object.entries(raw)) {
    if (name !== 'AWSTraceHeader') {
      throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    }
    if (!isRecord(value) || value.DataType !== 'String' || typeof value.StringValue !== 'string' || value.StringValue === '') {
      throw invalidParameterValue(`Message system attribute '${name}' must be a non-empty String.`);
    }
    out.set(name, { DataType: 'String', StringValue: value.StringValue });
  }
  return out;
}

/** JSON shape of an attribute value in responses (binary goes back out as base64). */
export function attributeToJson(value: MessageAttributeValue): Record<string, string> {
  return value.BinaryValue !== undefined
    ? { DataType: value.DataType, BinaryValue: value.BinaryValue.toString('base64') }
    : { DataType: value.DataType, StringValue: value.StringValue ?? '' };
}
