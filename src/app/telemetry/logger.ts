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

/**
 * A warning that may repeat once per request (LLM down, circuit open, cache unreachable) as one
 * line per kind and period instead of one per request: the first occurrence of a kind is logged at
 * once; later ones are counted and logged as one line per `periodMs` while they go on. A kind
 * quiet for a whole period is forgotten, so its next occurrence is again logged at once.
 *
 * @example
 *   const warn = new RepeatedLog(log);
 *   warn.warn('llm:timeout', { err: e.message }, 'LLM fallback timed out; message sent to review');
 */
export class RepeatedLog {
  private readonly kinds = new Map<string, { n: number; fields: Record<string, unknown>; msg: string }>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly periodMs = 60_000,
    /** Kinds tracked at once; beyond it the oldest is flushed (keys are meant to be a small fixed set). */
    private readonly maxKinds = 64,
  ) {}

  warn(kind: string, fields: Record<string, unknown>, msg: string): void {
    const k = this.kinds.get(kind);
    if (k) {
      k.n++;
      k.fields = fields;
      return;
    }
    this.log.warn(fields, msg);
    if (this.kinds.size >= this.maxKinds) this.report(this.kinds.keys().next().value!, true);
    this.kinds.set(kind, { n: 0, fields, msg });
    if (!this.timer) {
      this.timer = setInterval(() => this.flush(), this.periodMs);
      this.timer.unref();
    }
  }

  /** Logs the counts of the period now ending (called by the timer; by tests and at shutdown). */
  flush(): void {
    for (const kind of [...this.kinds.keys()]) this.report(kind, false);
    if (!this.kinds.size && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private report(kind: string, forget: boolean): void {
    const k = this.kinds.get(kind)!;
    if (k.n > 0) this.log.warn({ ...k.fields, repeated: k.n, periodSeconds: this.periodMs / 1000 }, `${k.msg} (${k.n} more in the last ${this.periodMs / 1000} s)`);
    if (forget || k.n === 0) this.kinds.delete(kind);
    else k.n = 0;
  }

  close(): void {
    this.flush();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
