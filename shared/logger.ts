/**
 * Structured JSON logs (Powertools Logger). Callers log ids and masked references only; this
 * module is the one place that builds loggers so every function logs the same way.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

export type { Logger };

export const createLogger = (serviceName = 'renewal-gateway', level?: string): Logger =>
  new Logger({ serviceName, ...(level ? { logLevel: level as 'INFO' } : {}) });

/**
 * Adds the invocation's Lambda context (request id, function, cold start) to every line the logger
 * writes until the next invocation; the HTTP functions get the same from `httpFunction`.
 */
export const addLambdaContext = (logger: Logger, context: Context | undefined): void => {
  if (context) logger.addContext(context);
};
