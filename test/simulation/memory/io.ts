/**
 * How an in-memory store reaches its table. Each call of `request` is one DynamoDB request: `apply`
 * runs atomically at the moment the request reaches the service, exactly as a DynamoDB condition is
 * evaluated and its write applied in one step. The simulator's implementation delays, fails,
 * replays or crashes around that moment; the conformance tests use `immediateIo`.
 */
export interface Io {
  request<T>(label: string, apply: () => T): Promise<T>;
}

export const immediateIo: Io = {
  request: <T>(_label: string, apply: () => T): Promise<T> => {
    try {
      return Promise.resolve(apply());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  },
};
