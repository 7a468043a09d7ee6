import { Gauge, type Registry } from 'prom-client';
import type { Alert } from '../../core/monitor/index.js';
import { IntentOpsError } from '../../core/errors.js';
import type { ClusterNamer } from '../../ports/cluster-namer.js';
import { LlmDeclined, type Llm, type LlmAnswer, type LlmRequest } from '../../ports/llm.js';
import type { SpendCounter } from '../../ports/spend-counter.js';
import type { Logger } from '../telemetry/index.js';
import type { AlertSink } from './monitor.js';

export interface BudgetOptions {
  /** US dollars per calendar day (> 0). */
  readonly dailyUsd: number;
  /** Alert once the day's spend reaches this share of the budget. Default 0.8. */
  readonly alertShare?: number;
  /** When true, unsure messages go to review (reason llm_budget) once the day's spend reaches the budget. */
  readonly hardCap?: boolean;
  /** IANA time zone of the budget day. Default UTC. */
  readonly timeZone?: string;
  readonly sink?: AlertSink;
  readonly log?: Logger;
  readonly now?: () => number;
}

export interface BudgetStatus {
  readonly day: string;
  readonly spentUsd: number;
  readonly budgetUsd: number;
  /** spent / budget. */
  readonly share: number;
  readonly alertShare: number;
  readonly hardCap: boolean;
  /** True when the hard cap is on and today's budget is used up: the LLM is not called. */
  readonly capped: boolean;
}

/**
 * The daily LLM budget: adds the cost of every LLM answer to a SpendCounter (per process, or
 * Redis shared by replicas), alerts at `alertShare` and at 100 %, and — with `hardCap` — stops
 * calling the LLM for the rest of the day: the wrapped Llm throws LlmDeclined('llm_budget') and
 * the classify service sends the message to review. Calls already in flight when the cap is
 * reached still complete, so the day can overshoot by at most the concurrent calls' cost.
 *
 * @example
 *   const budget = new LlmBudget(await openSpendCounter('memory'), { dailyUsd: 20, hardCap: true, sink });
 *   const llm = budget.wrap(await createLlm('openai-chat', options));
 */
export class LlmBudget {
  private readonly day: Intl.DateTimeFormat;
  private readonly now: () => number;
  private readonly alerted = new Map<Alert['kind'], string>();
  /** The last total read or written, per day: used when the counter cannot be reached. */
  private last = { day: '', usd: 0 };
  private warnedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly counter: SpendCounter,
    private readonly o: BudgetOptions,
  ) {
    if (!(o.dailyUsd > 0)) throw new IntentOpsError('invalid_config', `daily LLM budget must be > 0 US dollars, got ${o.dailyUsd}`, { where: 'monitor.budget.dailyUsd', hint: 'set a positive amount, or 0 to have no budget (then do not build one)' });
    const share = o.alertShare ?? 0.8;
    if (!(share > 0 && share <= 1)) throw new IntentOpsError('invalid_config', `budget alert share must be in (0, 1], got ${share}`, { where: 'monitor.budget.alertShare' });
    try {
      this.day = new Intl.DateTimeFormat('en-CA', { timeZone: o.timeZone ?? 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' });
    } catch (e) {
      throw new IntentOpsError('invalid_config', `unknown time zone ${JSON.stringify(o.timeZone)}`, { where: 'monitor.budget.timeZone', hint: 'an IANA name such as UTC or Europe/Berlin', cause: e });
    }
    this.now = o.now ?? Date.now;
  }

  /** The budget day of a time: YYYY-MM-DD in the configured time zone. */
  dayOf(ms: number): string {
    return this.day.format(ms);
  }

  /** An Llm that records the cost of each answer and, with the hard cap, declines once the budget is spent. */
  wrap(llm: Llm): Llm {
    return {
      name: llm.name,
      classify: async (req: LlmRequest, signal?: AbortSignal): Promise<LlmAnswer> => {
        if (this.o.hardCap) {
          const { day, usd } = await this.spent();
          if (usd >= this.o.dailyUsd) {
            this.alertAt(day, usd);
            throw new LlmDeclined('llm_budget', `daily LLM budget of ${dollars(this.o.dailyUsd)} is spent (${dollars(usd)} on ${day}): sent to review`);
          }
        }
        const answer = await llm.classify(req, signal);
        await this.record(answer.usage.costUsd);
        return answer;
      },
    };
  }

  /**
   * A cluster namer under the same budget: its calls' cost counts toward the day's spend, and with
   * the hard cap it declines (LlmDeclined; discovery then names from terms) once the budget is spent.
   */
  wrapNamer(namer: ClusterNamer): ClusterNamer {
    return {
      name: namer.name,
      nameCluster: async (req, signal) => {
        if (this.o.hardCap) {
          const { day, usd } = await this.spent();
          if (usd >= this.o.dailyUsd) throw new LlmDeclined('llm_budget', `daily LLM budget of ${dollars(this.o.dailyUsd)} is spent (${dollars(usd)} on ${day})`);
        }
        try {
          const a = await namer.nameCluster(req, signal);
          await this.record(a.usage.costUsd);
          return a;
        } catch (e) {
          // a refused or malformed answer was still paid for
          const usd = (e as { usage?: { costUsd?: number } }).usage?.costUsd;
          if (usd) await this.record(usd);
          throw e;
        }
      },
    };
  }

  /** Adds `usd` to today's spend and raises the budget alerts it crosses. Never throws: a counter that is down is logged. */
  async record(usd: number): Promise<void> {
    if (!(usd > 0)) return;
    const day = this.dayOf(this.now());
    let total: number;
    try {
      total = await this.counter.add(day, usd);
    } catch (e) {
      total = (this.last.day === day ? this.last.usd : 0) + usd;
      this.warn(e, 'LLM spend counter unavailable; counting this process only');
    }
    this.last = { day, usd: total };
    this.alertAt(day, total);
  }

  async status(): Promise<BudgetStatus> {
    const { day, usd } = await this.spent();
    const share = usd / this.o.dailyUsd;
    const hardCap = this.o.hardCap ?? false;
    return { day, spentUsd: usd, budgetUsd: this.o.dailyUsd, share, alertShare: this.o.alertShare ?? 0.8, hardCap, capped: hardCap && share >= 1 };
  }

  /** Gauges intentops_llm_spend_usd_today, intentops_llm_budget_usd and intentops_llm_budget_capped, read at scrape time. */
  registerMetrics(registry: Registry): void {
    let cached: Promise<BudgetStatus> | undefined;
    // one counter read per scrape for the three gauges
    const status = () => (cached ??= this.status().finally(() => setTimeout(() => (cached = undefined), 500).unref()));
    const gauge = (name: string, help: string, aggregator: 'max' | 'sum', read: (s: BudgetStatus) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        aggregator,
        async collect() {
          this.set(read(await status()));
        },
      });
    // with a shared (Redis) counter every worker reports the same total: take the max, not the sum
    gauge('intentops_llm_spend_usd_today', 'LLM spend of the current budget day in US dollars', 'max', (s) => s.spentUsd);
    gauge('intentops_llm_budget_usd', 'Daily LLM budget in US dollars', 'max', (s) => s.budgetUsd);
    gauge('intentops_llm_budget_capped', '1 while the hard cap stops LLM calls for the rest of the day', 'max', (s) => (s.capped ? 1 : 0));
  }

  close(): Promise<void> {
    return this.counter.close();
  }

  private async spent(): Promise<{ day: string; usd: number }> {
    const day = this.dayOf(this.now());
    try {
      const usd = await this.counter.get(day);
      this.last = { day, usd };
      return { day, usd };
    } catch (e) {
      // fail open on the last known total: an unreachable counter must not stop the LLM fallback
      this.warn(e, 'LLM spend counter unavailable; using the last known spend');
      return { day, usd: this.last.day === day ? this.last.usd : 0 };
    }
  }

  /** At most one warning a minute: a Redis outage must not log once per LLM call. */
  private warn(e: unknown, msg: string): void {
    const now = this.now();
    if (now - this.warnedAt < 60_000) return;
    this.warnedAt = now;
    this.o.log?.warn({ err: (e as Error).message }, msg);
  }

  private alertAt(day: string, usd: number): void {
    const share = usd / this.o.dailyUsd;
    const alertShare = this.o.alertShare ?? 0.8;
    const fire = (kind: Alert['kind'], severity: Alert['severity'], threshold: number, message: string) => {
      if (this.alerted.get(kind) === day) return;
      this.alerted.set(kind, day);
      this.o.sink?.emit([{ kind, severity, value: usd, threshold, window: { since: day, until: new Date(this.now()).toISOString(), samples: 0 }, message }], { budgetDay: day });
    };
    const spent = `${dollars(usd)} of the ${dollars(this.o.dailyUsd)} daily LLM budget spent on ${day}`;
    if (share >= 1) fire('llm_budget_exhausted', 'alert', this.o.dailyUsd, `${spent}: ${this.o.hardCap ? 'unsure messages go to review until the day ends' : 'over budget (no hard cap: the LLM is still called)'}`);
    else if (share >= alertShare) fire('llm_budget', 'warn', alertShare * this.o.dailyUsd, `${spent} (${(share * 100).toFixed(0)} %, alert at ${(alertShare * 100).toFixed(0)} %)`);
  }
}

/** $1234, $12.34, $0.000468: cents for real budgets, three significant digits for tiny ones. */
function dollars(x: number): string {
  return `$${x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toPrecision(3)}`;
}
