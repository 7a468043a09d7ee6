import { Gauge, type Registry } from 'prom-client';
import type { Figures } from '../../core/monitor/index.js';
import type { MonitorService } from '../services/monitor.js';

/**
 * Prometheus gauges of the current window (read at scrape time, one snapshot per scrape), for
 * whichever MonitorService is current: intentops_drift_psi{kind}, _label_chi2_p_value,
 * _route_share{route}, _fallback_share, _oov_share, _centroid_distance_ratio, _window_samples.
 * Under node:cluster they are averaged over the workers (window samples summed). A figure without data reads NaN.
 */
export function registerMonitorMetrics(registry: Registry, monitor: () => MonitorService | undefined): void {
  let cached: { at: number; m: MonitorService | undefined; f: Figures | undefined } | undefined;
  const figures = (): Figures | undefined => {
    const now = Date.now();
    const m = monitor();
    if (!cached || cached.m !== m || now - cached.at > 500) cached = { at: now, m, f: m?.snapshot().figures };
    return cached.f;
  };
  const gauge = (name: string, help: string, labelNames: string[], read: (f: Figures, set: (v: number | undefined, labels?: Record<string, string>) => void) => void, aggregator: 'average' | 'sum' = 'average') =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      aggregator,
      collect() {
        const f = figures();
        if (!f) return labelNames.length ? this.reset() : this.set(Number.NaN);
        read(f, (v, labels) => (labels ? this.set(labels, v ?? Number.NaN) : this.set(v ?? Number.NaN)));
      },
    });
  gauge('intentops_drift_psi', 'Population stability index of the window against the reference, by kind (label, confidence)', ['kind'], (f, set) => {
    set(f.labels?.psi, { kind: 'label' });
    set(f.confidence?.psi, { kind: 'confidence' });
  });
  gauge('intentops_drift_label_chi2_p_value', 'Chi-square goodness-of-fit p-value of the predicted labels against the training labels', [], (f, set) => set(f.labels?.chi2.pValue));
  gauge('intentops_drift_route_share', 'Share of the window by route (accepted, llm, review)', ['route'], (f, set) => {
    for (const route of ['accepted', 'llm', 'review'] as const) set(f.routes?.[route], { route });
  });
  gauge('intentops_drift_fallback_share', 'Share of the window sent to the LLM or review', [], (f, set) => set(f.routes?.fallbackShare));
  gauge('intentops_drift_oov_share', 'Mean share of unseen word tokens per sampled message', [], (f, set) => set(f.oov?.share));
  gauge('intentops_drift_centroid_distance_ratio', 'Mean distance of sampled messages to their class centroid over the training mean', [], (f, set) => set(f.centroid?.ratio));
  gauge('intentops_drift_window_samples', 'Messages in the monitoring window', [], (f, set) => set(f.window.samples), 'sum');
}
