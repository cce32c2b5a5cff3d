/**
 * Stands in for Secrets Manager over HTTP (its AWS JSON 1.1 GetSecretValue), so the real
 * `@aws-sdk/client-secrets-manager` client and Powertools Parameters run against it. Values can
 * change while it runs (rotation) and it can be made unreachable (outage), counting each read.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSecretsManager {
  readonly endpoint: string;
  /** GetSecretValue calls answered so far, per secret id. */
  readonly reads: Map<string, number>;
  set(secretId: string, value: string): void;
  /** While true, every call answers 500 (an InternalServiceError). */
  failing: boolean;
  close(): Promise<void>;
}

export const startFakeSecretsManager = async (valueOf: (secretId: string) => string | undefined = () => undefined): Promise<FakeSecretsManager> => {
  const values = new Map<string, string>();
  const reads = new Map<string, number>();
  const fake = { failing: false };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const { SecretId = '' } = JSON.parse(body || '{}') as { SecretId?: string };
      if (fake.failing) {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'InternalServiceError', message: 'unavailable' }));
        return;
      }
      reads.set(SecretId, (reads.get(SecretId) ?? 0) + 1);
      const value = values.get(SecretId) ?? valueOf(SecretId);
      if (value === undefined) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: `no secret ${SecretId}` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ ARN: SecretId, Name: SecretId, SecretString: value }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fake, {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reads,
    set: (secretId: string, value: string) => void values.set(secretId, value),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
};
