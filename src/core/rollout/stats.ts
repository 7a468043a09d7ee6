import { summarizeLatencies, type LatencySummary } from '../eval/stats.js';
import type { Route } from '../routing/policy.js';

/** Who produced a result: the answering champion or challenger, or the challenger in the shadow. */
export type StatsVariant = 'champion' | 'challenger' | 'shadow';

/** What the figures need from a classification result. */
export interface ScoredResult {
  readonly intent: string;
  readonly route: Route;
  readonly cached: boolean;
  /** modelMs may be unknown (a prediction log record keeps the time to the answer only). */
  readonly timings: { readonly modelMs?: number; readonly totalMs: number };
}

export interface VariantFigures {
  readonly requests: number;
  readonly cached: number;
  readonly routes: Readonly<Record<Route, number>>;
  /** Over the most recent `window` results: model time, and time to the answer. */
  readonly latencyMs: { readonly model: LatencySummary | null; readonly total: LatencySummary | null };
}

export interface ShadowFigures {
  /** Messages the challenger scored next to the champion's answer. */
  readonly compared: number;
  /** …with the same intent. */
  readonly agreed: number;
  readonly agreementRate: number | null;
  /** …with the same route (accepted / llm / review). */
  readonly sameRoute: number;
  readonly routeAgreementRate: number | null;
  /** Scoring skipped because the shadow queue was full (requests are never held up for it). */
  readonly dropped: number;
  readonly errors: number;
  /** The most frequent disagreements, champion intent → challenger intent. */
  readonly disagreements: readonly { readonly champion: string; readonly challenger: string; readonly count: number }[];
}

export interface RolloutFigures {
  readonly since: string;
  readonly champion: string;
  readonly challenger: string | null;
  readonly variants: Readonly<Record<StatsVariant, VariantFigures>>;
  readonly shadow: ShadowFigures;
}

/** The last `size` values pushed (a ring): latency percentiles over recent traffic in fixed memory. */
class Ring {
  private readonly xs: Float64Array;
  private n = 0;
  constructor(size: number) {
    this.xs = new Float64Array(size);
  }
  push(x: number): void {
    this.xs[this.n++ % this.xs.length] = x;
  }
  summary(): LatencySummary | null {
    const k = Math.min(this.n, this.xs.length);
    return k ? summarizeLatencies(this.xs.subarray(0, k)) : null;
  }
}

class Tally {
  requests = 0;
  cached = 0;
  readonly routes: Record<Route, number> = { accepted: 0, llm: 0, review: 0 };
  readonly model: Ring;
  readonly total: Ring;
  constructor(window: number) {
    this.model = new Ring(window);
    this.total = new Ring(window);
  }
  add(r: ScoredResult): void {
    this.requests++;
    this.routes[r.route]++;
    if (r.cached) this.cached++;
    else if (r.timings.modelMs !== undefined) this.model.push(r.timings.modelMs);
    this.total.push(r.timings.totalMs);
  }
  figures(): VariantFigures {
    return { requests: this.requests, cached: this.cached, routes: { ...this.routes }, latencyMs: { model: this.model.summary(), total: this.total.summary() } };
  }
}

const MAX_PAIRS = 1000;

/**
 * Per-variant figures of one champion/challenger pair in one process: request counts, route
 * mix and latency for each variant, and for shadow scoring the agreement with the champion.
 * Pure (no clock: `since` is given), bounded memory, O(1) per result.
 *
 * @example
 *   const s = new RolloutStats({ champion: '3', challenger: '4', since: new Date().toISOString() });
 *   s.answered('champion', result);
 *   s.shadowed(result, shadowResult);
 *   s.figures().shadow.agreementRate
 */
export class RolloutStats {
  private readonly tallies: Record<StatsVariant, Tally>;
  private compared = 0;
  private agreed = 0;
  private sameRoute = 0;
  private dropped = 0;
  private errors = 0;
  private readonly pairs = new Map<string, number>();

  constructor(readonly o: { champion: string; challenger: string | null; since: string; window?: number }) {
    const w = o.window ?? 2048;
    this.tallies = { champion: new Tally(w), challenger: new Tally(w), shadow: new Tally(w) };
  }

  /** A result returned to a client. */
  answered(variant: 'champion' | 'challenger', r: ScoredResult): void {
    this.tallies[variant].add(r);
  }

  /** The challenger's score of a message the champion answered. */
  shadowed(answer: ScoredResult, shadow: ScoredResult): void {
    this.tallies.shadow.add(shadow);
    this.compared++;
    if (answer.route === shadow.route) this.sameRoute++;
    if (answer.intent === shadow.intent) {
      this.agreed++;
      return;
    }
    const key = `${answer.intent}\u0000${shadow.intent}`;
    // bounded: a pair not yet seen is only tracked while there is room
    if (this.pairs.has(key) || this.pairs.size < MAX_PAIRS) this.pairs.set(key, (this.pairs.get(key) ?? 0) + 1);
  }

  shadowDropped(n: number): void {
    this.dropped += n;
  }

  shadowFailed(n: number): void {
    this.errors += n;
  }

  figures(): RolloutFigures {
    const disagreements = [...this.pairs.entries()]
      .map(([k, count]) => {
        const [champion, challenger] = k.split('\u0000');
        return { champion, challenger, count };
      })
      .sort((a, b) => b.count - a.count || a.champion.localeCompare(b.champion) || a.challenger.localeCompare(b.challenger))
      .slice(0, 10);
    const rate = (k: number) => (this.compared ? k / this.compared : null);
    return {
      since: this.o.since,
      champion: this.o.champion,
      challenger: this.o.challenger,
      variants: { champion: this.tallies.champion.figures(), challenger: this.tallies.challenger.figures(), shadow: this.tallies.shadow.figures() },
      shadow: {
        compared: this.compared,
        agreed: this.agreed,
        agreementRate: rate(this.agreed),
        sameRoute: this.sameRoute,
        routeAgreementRate: rate(this.sameRoute),
        dropped: this.dropped,
        errors: this.errors,
        disagreements,
      },
    };
  }
}
