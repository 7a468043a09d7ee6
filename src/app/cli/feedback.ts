import { InvalidArgumentError, type Command } from 'commander';
import { IntentOpsError } from '../../core/errors.js';
import type { Feedback } from '../../ports/feedback-store.js';
import { type Config, whoAmI } from '../config.js';
import { openEvents } from '../container/index.js';
import { parseSince } from '../services/purge.js';
import { action, configFor, intOption, out, type CliIO } from './context.js';

function ratingOption(v: string): -1 | 0 | 1 {
  if (v === '-1' || v === '0' || v === '1') return Number(v) as -1 | 0 | 1;
  throw new InvalidArgumentError(`--rating must be -1, 0 or 1, got ${JSON.stringify(v)}`);
}

export function feedbackLine(f: Feedback): string {
  const comment = f.comment === undefined ? '' : `  ${JSON.stringify(f.comment.length > 60 ? `${f.comment.slice(0, 57)}…` : f.comment)}`;
  const what = [f.correctIntent !== undefined && `→ ${f.correctIntent}`, f.rating !== undefined && `rating ${f.rating > 0 ? '+1' : f.rating}`].filter(Boolean).join(', ');
  return `${f.at}  ${f.id}  prediction ${f.predictionId}  ${what}  by ${f.source}${comment}`;
}

type Common = { store?: string; json?: boolean };

/** `intentops feedback give|list`: feedback on served predictions from a terminal (same service as POST /v1/feedback). */
export function registerFeedback(program: Command, io: CliIO): void {
  const feedback = program.command('feedback').description('feedback on served predictions: the correct intent and/or a rating (corrections become training examples)');
  const withStore = (c: Command) => c.option('--store <uri>', 'events store: sqlite:./intentops.db (default: events.uri), postgres://…').option('--json', 'print JSON');

  withStore(feedback.command('give').description('record feedback on a prediction (its `id` from classify)'))
    .requiredOption('--prediction <id>', 'the prediction id')
    .option('--intent <intent>', 'the correct intent')
    .option('--rating <n>', '-1 (wrong), 0 or 1 (right)', ratingOption)
    .option('--comment <text>', 'free text (PII-redacted before it is stored)')
    .option('--model <ref>', "check --intent against this model's intents (bundle dir or registry ref such as tickets@champion)")
    .option('--who <name>', 'who gives it (default: $INTENTOPS_USER or $USER)')
    .action(
      action(io, async (o: Common & { prediction: string; intent?: string; rating?: -1 | 0 | 1; comment?: string; model?: string; who?: string }, cmd: Command) => {
        const c = configFor(cmd, io);
        const events = await openEvents(c, { store: o.store, modelRef: o.model });
        try {
          if (o.intent !== undefined && !o.model) io.stderr.write(`note: --intent ${JSON.stringify(o.intent)} was not checked against a model's intents (pass --model to check it)\n`);
          const f = await events.feedback.give({ predictionId: o.prediction, correctIntent: o.intent, rating: o.rating, comment: o.comment }, o.who ?? whoAmI(io.env));
          out(io, o.json ? JSON.stringify(f) : feedbackLine(f));
        } finally {
          await events.close();
        }
      }),
    );

  withStore(feedback.command('list').description('list feedback, oldest first'))
    .option('--since <when>', 'a duration back from now (24h, 7d) or a date (2025-01-31)')
    .option('--prediction <id>', 'only feedback on this prediction')
    .option('--limit <n>', 'at most this many', intOption('--limit'))
    .action(
      action(io, async (o: Common & { since?: string; prediction?: string; limit?: number }, cmd: Command) => {
        const c = configFor(cmd, io);
        const since = o.since === undefined ? undefined : parseSince(o.since, '--since');
        const events = await openEvents(c, { store: o.store });
        try {
          const items = await events.feedback.list({ since, predictionId: o.prediction, limit: o.limit });
          if (o.json) return out(io, items.map((f) => JSON.stringify(f)).join('\n'));
          if (!items.length) return out(io, `no feedback${since ? ` since ${since}` : ''}`);
          for (const f of items) out(io, feedbackLine(f));
        } finally {
          await events.close();
        }
      }),
    );
}
