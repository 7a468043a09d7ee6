import { buckets, byLabel, parseProm, quantileBetween, total, type Sample } from './prom.js';

/** Live traffic figures derived from two /metrics scrapes. */
export interface Live {
  readonly at: number;
  readonly rps: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly errorShare: number;
  /** Classified messages per route since the server started. */
  readonly routes: Record<string, number>;
  /** Routes of the messages classified between the two scrapes. */
  readonly routesNow: Record<string, number>;
  readonly cacheHitShare?: number;
  readonly llm: { readonly calls: number; readonly costUsd: number; readonly promptTokens: number; readonly completionTokens: number };
  readonly model?: { readonly name: string; readonly version: string };
}

const CLASSIFY = { route: (r: string) => r.startsWith('/v1/classify') };
const REQS = 'intentops_http_requests_total';
const DURATION = 'intentops_http_request_duration_seconds';

export interface Scrape {
  readonly at: number;
  readonly samples: readonly Sample[];
}

export function scrape(text: string, at: number): Scrape {
  return { at, samples: parseProm(text) };
}

export function liveFigures(prev: Scrape | undefined, cur: Scrape): Live {
  const s = cur.samples;
  const dt = prev ? (cur.at - prev.at) / 1000 : 0;
  const reqs = total(s, REQS, CLASSIFY);
  const before = prev ? total(prev.samples, REQS, CLASSIFY) : reqs;
  const errors = total(s, REQS, { ...CLASSIFY, status: (v) => v >= '500' });
  const errorsBefore = prev ? total(prev.samples, REQS, { ...CLASSIFY, status: (v) => v >= '500' }) : errors;
  const hb = prev ? buckets(prev.samples, DURATION, CLASSIFY) : new Map<number, number>();
  const ha = buckets(s, DURATION, CLASSIFY);
  const q = (p: number) => {
    const v = prev ? quantileBetween(hb, ha, p) : undefined;
    return v === undefined ? undefined : v * 1000;
  };
  const routes = byLabel(s, 'intentops_classifications_total', 'route');
  const routesBefore = prev ? byLabel(prev.samples, 'intentops_classifications_total', 'route') : {};
  const routesNow = Object.fromEntries(Object.entries(routes).map(([k, v]) => [k, v - (routesBefore[k] ?? 0)]));
  const hits = total(s, 'intentops_cache_lookups_total', { result: 'hit' });
  const lookups = total(s, 'intentops_cache_lookups_total');
  const info = s.find((x) => x.name === 'intentops_model_info' && x.value > 0);
  const n = reqs - before;
  return {
    at: cur.at,
    rps: dt > 0 ? n / dt : 0,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    errorShare: n > 0 ? (errors - errorsBefore) / n : 0,
    routes,
    routesNow,
    cacheHitShare: lookups > 0 ? hits / lookups : undefined,
    llm: {
      calls: total(s, 'intentops_llm_calls_total'),
      costUsd: total(s, 'intentops_llm_cost_usd_total'),
      promptTokens: total(s, 'intentops_llm_tokens_total', { kind: 'prompt' }),
      completionTokens: total(s, 'intentops_llm_tokens_total', { kind: 'completion' }),
    },
    model: info ? { name: info.labels.name, version: info.labels.version } : undefined,
  };
}
