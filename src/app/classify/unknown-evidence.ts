/**
 * The share of unknown-intent messages, counted from what the LLM fallback says about the messages
 * it sees (config `llm.estimateUnknownShare`). The out-of-scope thresholds depend on the share of
 * unknown messages they assume; estimated from the novelty scores alone (EM against the bundle's
 * reference distributions), it wandered between 1 and 12 % on BANKING77 traffic with no unknown
 * message at all, and the accept guard then sent up to a quarter of the known messages to the LLM
 * as `unfamiliar`. The LLM reads every message the model did not accept, and an unknown message
 * shows in its answer: "none of these", or an intent the model does not have. So the share of such
 * answers among all the messages served is a direct count of the unknowns that reach the LLM. It
 * misses the unknowns the model accepted (the accept guard keeps those few) and counts the
 * LLM's wrong "none"s of known messages (the careful side). Bounded: a ring of the latest
 * `window` messages.
 */
export class LlmUnknownEvidence {
  private readonly ring: Uint8Array;
  private n = 0;
  private unknowns = 0;
  /** Off-list answers whose message has not been counted yet. */
  private pending = 0;

  constructor(
    window = 2000,
    /** Messages needed before an estimate is given. */
    private readonly minMessages = 500,
  ) {
    if (!(Number.isInteger(window) && window > 0)) throw new RangeError(`window must be a positive integer, got ${window}`);
    this.ring = new Uint8Array(window);
  }

  /**
   * An LLM answer naming an intent the model does not have: it arrives as an error, before the
   * result of its message (which goes to review as llm_failed), and marks the next such result.
   */
  offListAnswer(): void {
    this.pending = Math.min(this.pending + 1, this.ring.length);
  }

  /** One message served (not a shadow's score): unknown when the LLM answered "none", or an intent the model lacks. */
  served(r: { readonly route: string; readonly reason: string; readonly outOfScope: boolean }): void {
    let unknown = r.route === 'llm' && r.outOfScope;
    if (!unknown && r.route === 'review' && r.reason === 'llm_failed' && this.pending > 0) {
      this.pending--;
      unknown = true;
    }
    const i = this.n % this.ring.length;
    if (this.n >= this.ring.length) this.unknowns -= this.ring[i];
    this.ring[i] = unknown ? 1 : 0;
    this.unknowns += this.ring[i];
    this.n++;
  }

  /** The share of the window's messages, or null before `minMessages`. */
  share(): number | null {
    const seen = Math.min(this.n, this.ring.length);
    return this.n < this.minMessages ? null : this.unknowns / seen;
  }
}
