import type { Registry } from 'prom-client';
import { gauge } from './reliability-metrics.js';
import type { AuditFigures } from '../services/audit.js';

/**
 * Gauges of the live precision promise, read at scrape time: the Wilson interval of the audited
 * accepted answers in the window (`intentops_accepted_precision_{estimate,lower,upper}`, NaN
 * before any audit), the precision the model promises (`…_target`), how many were audited, the
 * share of messages answered as out of scope and the unknown share the thresholds assume; and the
 * LLM's answers as people checked them (`intentops_llm_precision_*`, review.llmCheckSampleRate).
 */
export function registerTrustMetrics(registry: Registry, audit: () => AuditFigures, outOfScopeShare: () => number, unknownShare: () => number): void {
  let cached: { at: number; f: AuditFigures } | undefined;
  const read = () => {
    const now = Date.now();
    if (!cached || now - cached.at > 500) cached = { at: now, f: audit() };
    return cached.f;
  };
  const g = (name: string, help: string, value: () => number, aggregator: 'average' | 'sum' | 'min' = 'average') => gauge(registry, name, help, value, aggregator);
  const none = () => read().audited === 0;
  g('intentops_accepted_precision_estimate', 'Audited precision of accepted answers in the monitoring window (NaN before any audit)', () => (none() ? Number.NaN : read().estimate));
  g('intentops_accepted_precision_lower', 'Lower end of the 95 % Wilson interval of the audited accepted precision', () => (none() ? Number.NaN : read().lower));
  g('intentops_accepted_precision_upper', 'Upper end of the 95 % Wilson interval of the audited accepted precision', () => (none() ? Number.NaN : read().upper));
  g('intentops_accepted_precision_target', 'Precision the served model promises on accepted answers', () => read().target, 'min');
  g('intentops_accepted_precision_audited', 'Accepted answers judged by the audit in the window', () => read().audited, 'sum');
  const unchecked = () => read().llm.checked === 0;
  g('intentops_llm_precision_estimate', "Precision of the LLM's answers as reviewers checked them in the window (llm_check items; NaN before any)", () => (unchecked() ? Number.NaN : read().llm.estimate));
  g('intentops_llm_precision_lower', "Lower end of the 95 % Wilson interval of the LLM answers' checked precision", () => (unchecked() ? Number.NaN : read().llm.lower));
  g('intentops_llm_precision_upper', "Upper end of the 95 % Wilson interval of the LLM answers' checked precision", () => (unchecked() ? Number.NaN : read().llm.upper));
  g('intentops_llm_precision_checked', 'LLM answers a reviewer checked in the window', () => read().llm.checked, 'sum');
  g('intentops_out_of_scope_share', 'Share of the window answered as out of scope (novelty detector or the LLM)', outOfScopeShare);
  g('intentops_unknown_share_estimate', 'Share of unknown-intent messages the out-of-scope thresholds currently assume (estimated from traffic)', unknownShare);
}
