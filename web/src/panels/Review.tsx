import { useState } from 'preact/hooks';
import { postJson } from '../api.js';
import { num, pct, when } from '../format.js';
import { Pending, type Loadable } from '../loadable.js';

export interface ReviewItem {
  readonly id: string;
  readonly text: string;
  readonly guess: string;
  readonly confidence: number;
  readonly reason: string;
  readonly createdAt: string;
  readonly alternatives: readonly { readonly intent: string; readonly score: number }[];
  /** How often the same text came in while the item was open (servers that merge repeats). */
  readonly count?: number;
  readonly lastSeenAt?: string;
  /** The expected value of labelling it (servers that order the queue): the queue comes highest first. */
  readonly priority?: ReviewPriority;
}

/** What GET /v1/review says about an open item's place in the queue (ReviewPriority in the OpenAPI document). */
export interface ReviewPriority {
  readonly score: number;
  readonly messages: number;
  readonly count: number;
  readonly doubt: number;
  readonly weight: number;
  readonly ageHours: number;
  readonly ageFactor: number;
  readonly explanation: string;
}

/** Highest priority first, equal (or unscored, from an older server) in the order given. */
export function byPriority(items: readonly ReviewItem[]): ReviewItem[] {
  return items.map((it, i) => ({ it, i })).sort((a, b) => (b.it.priority?.score ?? -1) - (a.it.priority?.score ?? -1) || a.i - b.i).map((x) => x.it);
}

/** The oldest open items (GET /v1/review) and the true number of open items (`open`, when the server counts them). */
export interface ReviewQueue {
  readonly items: readonly ReviewItem[];
  readonly open?: number;
}

/** Items asked for per refresh. */
export const REVIEW_SHOWN = 20;
const SHOWN = 8;

/** The open review queue, worth most first (the server's priority, with why), with one-click labelling: claim + label in one click. */
export function Review({ items: state, intents, onChange }: { items: Loadable<ReviewQueue>; intents: readonly string[]; onChange: () => void }) {
  if (state.kind !== 'ok') {
    return (
      <section class="panel wide" data-testid="review">
        <h2>Review queue</h2>
        <Pending state={state} what="the review queue" off="No review store on this server (review.uri is none)." />
      </section>
    );
  }
  const { open } = state.value;
  const items = byPriority(state.value.items);
  const ranked = items.some((it) => it.priority);
  return (
    <section class="panel wide" data-testid="review">
      <h2 data-testid="review-open">Review queue ({open !== undefined ? num(open) : `${items.length}${items.length >= REVIEW_SHOWN ? '+' : ''}`} open)</h2>
      {items.length === 0 ? <p class="ok-text">Nothing to review.</p> : null}
      {ranked ? <p class="muted">Worth most first: messages it settles × doubt × reason weight × time waited.</p> : null}
      <ul class="review">
        {items.slice(0, SHOWN).map((it) => (
          <ReviewRow key={it.id} item={it} intents={intents} onChange={onChange} />
        ))}
      </ul>
      {(open ?? items.length) > SHOWN ? <p class="muted">{num((open ?? items.length) - SHOWN)} more behind these: label the first ones, or use `intentops review list`.</p> : null}
    </section>
  );
}

function ReviewRow({ item, intents, onChange }: { item: ReviewItem; intents: readonly string[]; onChange: () => void }) {
  const [choice, setChoice] = useState(item.guess);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const act = async (what: 'label' | 'skip') => {
    setBusy(true);
    setError(undefined);
    try {
      await postJson(`/v1/review/${encodeURIComponent(item.id)}/claim`);
      await postJson(`/v1/review/${encodeURIComponent(item.id)}/${what}`, what === 'label' ? { label: choice } : {});
      onChange();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  const suggested = item.alternatives.map((a) => a.intent);
  const options = [...suggested, ...intents.filter((i) => !suggested.includes(i))];
  return (
    <li data-testid="review-item" data-id={item.id}>
      <div class="review-text">{item.text}</div>
      <div class="muted">
        guess <b>{item.guess}</b> {pct(item.confidence)} · {item.reason.replace(/_/g, ' ')} · {when(item.createdAt)}
        {item.count && item.count > 1 ? (
          <span data-testid="review-count">
            {' '}
            · seen {num(item.count)}×, last {when(item.lastSeenAt)}
          </span>
        ) : null}
      </div>
      {item.priority ? (
        <div class="muted" data-testid="review-priority" title={item.priority.explanation}>
          priority <b data-testid="review-score">{item.priority.score.toFixed(2)}</b>: {item.priority.explanation.replace(/ = [\d.]+$/, '')}
        </div>
      ) : null}
      <div class="review-actions">
        <select value={choice} onChange={(e) => setChoice((e.target as HTMLSelectElement).value)} aria-label="correct intent" disabled={busy}>
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
              {suggested.includes(o) ? ` (${pct(item.alternatives.find((a) => a.intent === o)?.score, 0)})` : ''}
            </option>
          ))}
        </select>
        <button onClick={() => act('label')} disabled={busy}>
          Label
        </button>
        <button class="secondary" onClick={() => act('skip')} disabled={busy}>
          Skip
        </button>
        {error ? <span class="error">{error}</span> : null}
      </div>
    </li>
  );
}
