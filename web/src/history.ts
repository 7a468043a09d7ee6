/**
 * The dashboard's time series: one point per refresh, kept for the monitoring window and never
 * more than `maxPoints` (the page may stay open for days). Pure: the page feeds it what each
 * refresh read from /metrics and /v1/monitor, the charts read columns from it.
 */

/** Accepted precision as audited labels estimate it (`precision` in GET /v1/monitor). */
export interface Precision {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  readonly audited: number;
  readonly target: number;
}

export interface Sample {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly rps: number;
  /** Messages per route classified since the previous refresh. */
  readonly routesNow: Readonly<Record<string, number>>;
  /** The LLM cost counter (US dollars since the server started). */
  readonly costUsd: number;
  /** Undefined when the server gives no figure (no audit data, or no answer this time). */
  readonly precision?: Precision;
}

interface Point {
  readonly t: number;
  readonly rps: number;
  readonly routes: Readonly<Record<string, number>>;
  readonly messages: number;
  readonly spent: number;
  readonly precision?: Precision;
}

export const ROUTES = ['accepted', 'llm', 'review'] as const;

export interface Columns {
  /** Seconds (uPlot's time unit). */
  readonly t: number[];
  readonly rps: number[];
  /** Share of each route among the messages of each interval; null where there were none. */
  readonly routes: Record<(typeof ROUTES)[number], (number | null)[]>;
  /** LLM dollars spent since the start of the window. */
  readonly spend: number[];
  readonly precision: { readonly estimate: (number | null)[]; readonly lower: (number | null)[]; readonly upper: (number | null)[]; readonly target: (number | null)[] };
  /** Whether any point in the window has a precision figure. */
  readonly hasPrecision: boolean;
}

export class History {
  private points: Point[] = [];
  private lastCost: number | undefined;

  constructor(
    private windowMs: number,
    private readonly maxPoints = 3600,
  ) {}

  /** The monitoring window can change (the server's monitor.windowMinutes is known after the first answer). */
  setWindow(ms: number): void {
    this.windowMs = ms;
    this.trim();
  }

  add(s: Sample): void {
    // a counter that went down was reset (server restart): everything it shows now is new spend
    const spent = this.lastCost === undefined ? 0 : s.costUsd >= this.lastCost ? s.costUsd - this.lastCost : s.costUsd;
    this.lastCost = s.costUsd;
    const messages = ROUTES.reduce((n, r) => n + Math.max(0, s.routesNow[r] ?? 0), 0);
    this.points.push({ t: s.at / 1000, rps: s.rps, routes: s.routesNow, messages, spent, precision: s.precision });
    this.trim();
  }

  get size(): number {
    return this.points.length;
  }

  columns(): Columns {
    const p = this.points;
    let spend = 0;
    const pr = (f: (x: Precision) => number) => p.map((x) => (x.precision ? f(x.precision) : null));
    return {
      t: p.map((x) => x.t),
      rps: p.map((x) => x.rps),
      routes: Object.fromEntries(ROUTES.map((r) => [r, p.map((x) => (x.messages > 0 ? Math.max(0, x.routes[r] ?? 0) / x.messages : null))])) as Columns['routes'],
      spend: p.map((x) => (spend += x.spent)),
      precision: { estimate: pr((x) => x.estimate), lower: pr((x) => x.lower), upper: pr((x) => x.upper), target: pr((x) => x.target) },
      hasPrecision: p.some((x) => x.precision !== undefined),
    };
  }

  private trim(): void {
    const last = this.points[this.points.length - 1];
    if (!last) return;
    const from = last.t - this.windowMs / 1000;
    let drop = 0;
    while (drop < this.points.length && this.points[drop].t < from) drop++;
    drop = Math.max(drop, this.points.length - this.maxPoints);
    if (drop > 0) this.points = this.points.slice(drop);
  }
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** The `precision` field of a /v1/monitor answer, when it holds a usable estimate. */
export function toPrecision(m: Record<string, unknown> | undefined): Precision | undefined {
  const p = m?.precision as Record<string, unknown> | null | undefined;
  if (!p || !isNum(p.estimate) || !isNum(p.lower) || !isNum(p.upper)) return undefined;
  return { estimate: p.estimate, lower: p.lower, upper: p.upper, audited: isNum(p.audited) ? p.audited : 0, target: isNum(p.target) ? p.target : NaN };
}
