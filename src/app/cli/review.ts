import type { Command } from 'commander';
import type { ReviewOrder, ReviewState } from '../../ports/review-store.js';
import { openReviews } from '../container/index.js';
import { IntentOpsError } from '../../core/errors.js';
import type { RankedReviewItem, ReviewService } from '../services/review.js';
import { whoAmI } from '../config.js';
import { action, configFor, intOption, out, type CliIO } from './context.js';

type Common = { store?: string; who?: string; json?: boolean; model?: string };

/** `intentops review list|next|claim|label|skip`: the review queue from a terminal (same service as the API). */
export function registerReview(program: Command, io: CliIO): void {
  const review = program.command('review').description('the human review queue: list, next, claim, label, skip (labelled items become training examples)');
  const withStore = (c: Command) =>
    c
      .option('--store <uri>', 'review store: sqlite:./intentops.db (default: review.uri), sqlite::memory:, postgres://…')
      .option('--json', 'print JSON');
  const who = (o: Common) => o.who ?? whoAmI(io.env);

  const run = (cmd: Command, o: Common, f: (s: ReviewService) => Promise<void>) =>
    (async () => {
      const c = configFor(cmd, io);
      const r = await openReviews(c, { store: o.store, modelDir: o.model });
      try {
        await f(r.service);
      } finally {
        await r.close();
      }
    })();

  withStore(review.command('list').description('list items: open and claimed ones highest priority first (the expected value of a label, with why), others oldest first'))
    .option('--state <state>', 'open | claimed | labelled | skipped', 'open')
    .option('--limit <n>', 'items to show', intOption('--limit'), 20)
    .option('--after <id>', 'start after this item id (paging the created order)')
    .option('--order <order>', 'priority | created (default: priority for open and claimed items without --after)')
    .action(
      action(io, async (o: Common & { state: ReviewState; limit: number; after?: string; order?: ReviewOrder }, cmd: Command) =>
        run(cmd, o, async (s) => {
          const items = await s.list({ state: o.state, limit: o.limit, after: o.after, order: o.order }).catch(asFlagError);
          if (o.json) return out(io, items.map((i) => JSON.stringify(i)).join('\n') || '');
          if (!items.length) return out(io, `no ${o.state} items`);
          for (const i of items) out(io, line(i, true));
        }),
      ),
    );

  withStore(review.command('next').description('claim the open item worth most (highest priority) and print it'))
    .option('--who <name>', 'reviewer name (default: $INTENTOPS_USER, else $USER)')
    .action(
      action(io, async (o: Common, cmd: Command) =>
        run(cmd, o, async (s) => {
          const item = await s.claimNext(who(o));
          if (!item) return out(io, o.json ? 'null' : 'no open items');
          out(io, o.json ? JSON.stringify(item) : line(item, true));
        }),
      ),
    );

  const transition = (name: string, description: string, f: (s: ReviewService, id: string, who: string, label?: string, newIntent?: boolean) => Promise<RankedReviewItem>, withLabel = false) => {
    const c = withStore(review.command(name).description(description).argument('<id>', 'review item id'));
    if (withLabel)
      c.argument('<label>', 'the correct intent; out_of_scope for a message that is none of ours')
        .option('--model <dir>', "check the label against this model's intents")
        .option('--new-intent', 'the label names an intent the model does not have yet (retrain makes it a class once it has 5 labels)');
    c.option('--who <name>', 'reviewer name (default: $INTENTOPS_USER, else $USER)').action(
      action(io, async (...args: unknown[]) => {
        const cmd = args[args.length - 1] as Command;
        const o = args[args.length - 2] as Common;
        const [id, label] = args as [string, string | undefined];
        await run(cmd, o, async (s) => {
          const item = await f(s, id, who(o), withLabel ? label : undefined, (o as { newIntent?: boolean }).newIntent === true);
          out(io, o.json ? JSON.stringify(item) : line(item));
        });
      }),
    );
  };
  transition('claim', 'claim an open item so nobody else works on it', (s, id, w) => s.claim(id, w));
  transition('label', 'label an item with the correct intent (or out_of_scope, or a new intent with --new-intent)', (s, id, w, l, n) => s.label(id, w, l!, { newIntent: n }), true);
  transition('skip', 'skip an item (not labelled, not used for training)', (s, id, w) => s.skip(id, w));
}

/** The store names the query field (`limit`); on the command line it is a flag, paged with --after. */
function asFlagError(e: unknown): never {
  if (e instanceof IntentOpsError && e.code === 'invalid_input' && (e.where === 'limit' || e.where === 'state' || e.where === 'after' || e.where === 'order')) {
    const hint =
      e.where === 'limit'
        ? 'show fewer with a smaller --limit, and page with --order created --after <id of the last item shown>'
        : e.where === 'after'
          ? e.message.includes('created order')
            ? 'add --order created to page with --after'
            : 'pass the id of the last item shown'
          : e.hint;
    throw new IntentOpsError(e.code, e.message.replace(new RegExp(`^${e.where}\\b`), `--${e.where}`), { where: `--${e.where}`, hint, cause: e });
  }
  throw e;
}

/** One item; with `why`, a second line explaining its priority (open and claimed items). */
function line(i: RankedReviewItem, why = false): string {
  const text = i.text.length > 60 ? `${i.text.slice(0, 57)}…` : i.text;
  const who = i.label ? ` → ${i.label} by ${i.labelledBy}` : i.claimedBy ? ` (claimed by ${i.claimedBy})` : '';
  const first = `${i.id}  ${i.state.padEnd(8)} ${i.reason.padEnd(14)} guess ${i.guess} ${(i.confidence * 100).toFixed(0)}%${who}  ${JSON.stringify(text)}`;
  return why && i.priority ? `${first}\n    priority ${i.priority.score.toFixed(3)}: ${i.priority.explanation}` : first;
}
