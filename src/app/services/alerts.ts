import { Counter, type Registry } from 'prom-client';
import { Cooldown, type Alert } from '../../core/monitor/index.js';
import type { Logger } from '../telemetry/index.js';

/** Where alerts go. `context` (e.g. the model) is added to the log line and the webhook body. */
export interface AlertSink {
  emit(alerts: readonly Alert[], context?: Record<string, unknown>): void;
}

export interface WebhookOptions {
  readonly url: string;
  /** Per attempt. Default 5000. */
  readonly timeoutMs?: number;
  /** Further attempts after a network error, a timeout, a 429 or a 5xx. Default 2. */
  readonly retries?: number;
  /** Wait before the first retry, doubled for each further one. Default 500. */
  readonly backoffMs?: number;
}

/**
 * Sends alerts to the log (warn), the counter intentops_alerts_total{kind,severity} and, when
 * configured, a webhook: one JSON POST `{source, alerts, ...context}` per batch, with a timeout
 * and retries (backoff 0.5 s, 1 s, … by default). The same kind and severity is sent again only after the
 * cooldown. Delivery never throws: a webhook that stays down is logged and the alert dropped.
 *
 * @example
 *   const sink = new AlertDispatcher({ log, registry: metrics.registry, cooldownMinutes: 60, webhook: { url } });
 */
export class AlertDispatcher implements AlertSink {
  private readonly cooldown: Cooldown;
  private readonly counter?: Counter<'kind' | 'severity'>;
  private readonly now: () => number;
  private readonly sending = new Set<Promise<void>>();

  constructor(private readonly o: { log: Logger; registry?: Registry; cooldownMinutes: number; webhook?: WebhookOptions; now?: () => number }) {
    this.cooldown = new Cooldown(o.cooldownMinutes * 60_000);
    this.now = o.now ?? Date.now;
    const name = 'intentops_alerts_total';
    if (o.registry) {
      this.counter =
        (o.registry.getSingleMetric(name) as Counter<'kind' | 'severity'> | undefined) ??
        new Counter({ name, help: 'Monitoring alerts raised, by kind and severity (after the cooldown)', labelNames: ['kind', 'severity'], registers: [o.registry] });
    }
  }

  emit(alerts: readonly Alert[], context: Record<string, unknown> = {}): void {
    const now = this.now();
    const fresh = alerts.filter((a) => this.cooldown.admit(a, now));
    for (const a of fresh) {
      this.o.log.warn({ alert: a, ...context }, a.message);
      this.counter?.inc({ kind: a.kind, severity: a.severity });
    }
    if (!fresh.length || !this.o.webhook) return;
    const p = this.post(this.o.webhook, { source: 'intentops', ...context, alerts: fresh }).finally(() => this.sending.delete(p));
    this.sending.add(p);
  }

  /** Resolves when every webhook delivery started so far has finished (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.sending]);
  }

  private async post(w: WebhookOptions, body: unknown): Promise<void> {
    const tries = 1 + (w.retries ?? 2);
    const target = new URL(w.url).origin; // the path may hold a token (Slack, Teams): never log it
    let why = '';
    for (let i = 0; i < tries; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, (w.backoffMs ?? 500) * 2 ** (i - 1)));
      try {
        const res = await fetch(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(w.timeoutMs ?? 5000) });
        await res.body?.cancel();
        if (res.ok) return;
        why = `HTTP ${res.status}`;
        if (res.status !== 429 && res.status < 500) break;
      } catch (e) {
        why = (e as Error).name === 'TimeoutError' ? `no answer within ${w.timeoutMs ?? 5000} ms` : (e as Error).message;
      }
    }
    this.o.log.warn({ webhook: target, err: why }, 'alert webhook failed; alert logged only');
  }
}
