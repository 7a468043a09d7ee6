/**
 * Contested intents: intents whose region of the embedding space now also holds messages of an
 * intent the model does not know, as the LLM fallback reports it. When a new intent appears in the
 * traffic (a product launch, a new failure mode), its messages are taken for the nearest known
 * intent: the unsure ones go to the LLM, which answers "none of these" or an intent the model does
 * not have, and the confident ones are accepted silently as that known intent, which breaks the
 * precision promise until a retrain learns the new intent. Counting the LLM's unknown answers per
 * intent the model guessed finds those intents from the unsure messages; while an intent is
 * contested, its confident messages go to the LLM too (reason `contested`), until the evidence
 * fades or a new model version is served.
 *
 * Bounded: one ring of the latest `window` LLM answers per intent guessed. Pure (no clock).
 */
export interface ContestedOptions {
  /** LLM answers remembered per intent guessed. Default 20. */
  readonly window?: number;
  /** Unknown answers among them that make the intent contested. Default 3. */
  readonly minUnknown?: number;
  /** …and the share of the remembered answers they must be at least. Default 0.2. */
  readonly minShare?: number;
}

export const CONTESTED_DEFAULTS = Object.freeze({ window: 20, minUnknown: 3, minShare: 0.2 });

interface Ring {
  readonly bits: Uint8Array;
  n: number;
  unknown: number;
}

export class ContestedIntents {
  private readonly rings = new Map<string, Ring>();
  private readonly window: number;
  private readonly minUnknown: number;
  private readonly minShare: number;

  constructor(o: ContestedOptions = {}) {
    this.window = o.window ?? CONTESTED_DEFAULTS.window;
    this.minUnknown = o.minUnknown ?? CONTESTED_DEFAULTS.minUnknown;
    this.minShare = o.minShare ?? CONTESTED_DEFAULTS.minShare;
    if (!(Number.isInteger(this.window) && this.window > 0)) throw new RangeError(`window must be a positive integer, got ${this.window}`);
    if (!(Number.isInteger(this.minUnknown) && this.minUnknown > 0 && this.minUnknown <= this.window)) throw new RangeError(`minUnknown must be an integer from 1 to window (${this.window}), got ${this.minUnknown}`);
    if (!(this.minShare >= 0 && this.minShare <= 1)) throw new RangeError(`minShare must be from 0 to 1, got ${this.minShare}`);
  }

  /**
   * One LLM answer on a message the model guessed as `intent`: `unknown` when the LLM said none
   * of the intents fits or named one the model does not have. Returns the intent's change of
   * state, if any (for a log line), else null.
   */
  record(intent: string, unknown: boolean): 'contested' | 'cleared' | null {
    let r = this.rings.get(intent);
    if (!r) this.rings.set(intent, (r = { bits: new Uint8Array(this.window), n: 0, unknown: 0 }));
    const was = this.contests(r);
    const i = r.n % this.window;
    if (r.n >= this.window) r.unknown -= r.bits[i];
    r.bits[i] = unknown ? 1 : 0;
    r.unknown += r.bits[i];
    r.n++;
    const now = this.contests(r);
    return now === was ? null : now ? 'contested' : 'cleared';
  }

  /** Whether the model's confident answers of `intent` should go to the LLM. */
  has(intent: string): boolean {
    const r = this.rings.get(intent);
    return r !== undefined && this.contests(r);
  }

  /** The contested intents now, sorted. */
  get intents(): readonly string[] {
    return [...this.rings].filter(([, r]) => this.contests(r)).map(([intent]) => intent).sort();
  }

  /** Whether a ring's remembered answers hold enough unknown ones, in count and in share. */
  private contests(r: Ring): boolean {
    return r.unknown >= this.minUnknown && r.unknown / Math.min(r.n, this.window) >= this.minShare;
  }

  /** The unknown answers and answers remembered for an intent. */
  evidence(intent: string): { unknown: number; answers: number } {
    const r = this.rings.get(intent);
    return r ? { unknown: r.unknown, answers: Math.min(r.n, this.window) } : { unknown: 0, answers: 0 };
  }
}
