import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level?: string;
  /** Where JSON lines go; stdout by default. Tests pass a sink to read what was logged. */
  readonly destination?: DestinationStream;
}

/**
 * The service logger: JSON lines (pino). What is logged is chosen by the callers (request id,
 * route, status, latency, model version); redaction is a second line of defence so a header or a
 * key that slips into a log object is still never written.
 *
 * @example
 *   const log = createLogger({ level: 'info' });
 *   log.info({ requestId, route: '/v1/classify', status: 200, ms: 1.2 }, 'request');
 */
export function createLogger(o: LoggerOptions = {}): Logger {
  return pino(
    {
      level: o.level ?? 'info',
      base: { service: 'intentops' },
      redact: {
        paths: ['authorization', 'apiKey', '*.authorization', '*.apiKey', '*["x-api-key"]', 'headers', '*.headers'],
        censor: '[redacted]',
      },
    },
    o.destination,
  );
}
