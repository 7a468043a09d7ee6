import { describe, expect, it } from 'vitest';
import { buckets, byLabel, parseProm, quantileBetween, total } from './prom.js';

const TEXT = `# HELP intentops_http_requests_total HTTP requests
# TYPE intentops_http_requests_total counter
intentops_http_requests_total{method="POST",route="/v1/classify",status="200"} 90
intentops_http_requests_total{method="POST",route="/v1/classify",status="400"} 10
intentops_http_requests_total{method="GET",route="/healthz",status="200"} 5
intentops_classifications_total{route="accepted",reason="confident"} 70
intentops_classifications_total{route="review",reason="low_confidence"} 20
intentops_classifications_total{route="llm",reason="llm_answered"} 10
intentops_model_info{name="tickets",version="abc \\"q\\""} 1
lat_bucket{le="0.001"} 50
lat_bucket{le="0.01"} 90
lat_bucket{le="+Inf"} 100
`;

describe('Prometheus text parsing', () => {
  const s = parseProm(TEXT);
  it('reads names, labels (unescaped) and values; skips comments', () => {
    expect(s).toHaveLength(10);
    expect(s.find((x) => x.name === 'intentops_model_info')?.labels.version).toBe('abc "q"');
  });
  it('sums with label filters, exact or by predicate', () => {
    expect(total(s, 'intentops_http_requests_total', { route: '/v1/classify' })).toBe(100);
    expect(total(s, 'intentops_http_requests_total', { status: (v) => v.startsWith('4') })).toBe(10);
    expect(byLabel(s, 'intentops_classifications_total', 'route')).toEqual({ accepted: 70, review: 20, llm: 10 });
  });
  it('interpolates quantiles from bucket deltas between two scrapes', () => {
    const after = buckets(s, 'lat');
    const before = new Map([[0.001, 10], [0.01, 10], [Infinity, 10]]);
    // 90 new observations: 40 ≤ 1 ms, 40 in (1, 10] ms, 10 above
    expect(quantileBetween(before, after, 0.4)).toBeCloseTo(0.0009, 6);
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.001 + 0.009 * (5 / 40), 6);
    expect(quantileBetween(before, after, 0.99)).toBe(0.01);
    expect(quantileBetween(after, after, 0.5)).toBeUndefined();
  });
});
