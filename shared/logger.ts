/**
 * Structured JSON logs (Powertools Logger). Callers log ids and masked references only; this
 * module is the one place that builds loggers so every function logs the same way.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

export type { Logger };

/** The levels a stage may choose (`LOG_LEVEL` locally; in AWS `-c logLevel=`, which sets POWERTOOLS_LOG_LEVEL). */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/**
 * The variable Powertools' Logger reads its level from in every function. It takes upper case only
 * and falls back to INFO, silently, on anything else: hence `logLevelOf`.
 */
export const POWERTOOLS_LOG_LEVEL_ENV = 'POWERTOOLS_LOG_LEVEL';

/** `warn` → `WARN`; anything but a level of LOG_LEVELS is refused, naming `name`. */
export const logLevelOf = (value: string, name: string): LogLevel => {
  const level = value.trim().toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`${name} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`);
  return level as LogLevel;
};

export const createLogger = (serviceName = 'renewal-gateway', level?: string): Logger =>
  new Logger({ serviceName, ...(level ? { logLevel: level as 'INFO' } : {}) });

/**
 * Adds the invocation's Lambda context (request id, function, cold start) to every line the logger
 * writes until the next invocation; the HTTP functions get the same from `httpFunction`.
 */
export const addLambdaContext = (logger: Logger, context: Context | undefined): void => {
  if (context) logger.addContext(context);
};
