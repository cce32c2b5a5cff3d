/**
 * Structured JSON logs (Powertools Logger). Callers log ids and masked references only; this
 * module is the one place that builds loggers so every function logs the same way.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger };

export const createLogger = (serviceName = 'renewal-gateway', level?: string): Logger =>
  new Logger({ serviceName, ...(level ? { logLevel: level as 'INFO' } : {}) });
