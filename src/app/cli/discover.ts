import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { openDiscoveryNamer, openModel, openReviews, resolveModelRef } from '../container/index.js';
import { whoAmI } from '../config.js';
import { IntentOpsError } from '../../core/errors.js';
import type { DiscoveredCluster } from '../../core/discovery/discover.js';
import { DISCOVER_DEFAULTS, DiscoverService, parseWindow, type ClusterAction, type DiscoverQuery, type DiscoveryReport } from '../services/discover.js';
import { action, configFor, numberOption, out, positiveIntOption, type CliIO } from './context.js';

interface Flags {
  model?: string;
  store?: string;
  since: string;
  reason?: string;
  minSimilarity?: number;
  minSize?: number;
  maxItems?: number;
  json?: boolean;
  md?: string;
  who?: string;
  intent?: string;
}

/**
 * `intentops discover [accept|reject]`: clusters of out-of-scope and unsure messages waiting in
 * the review queue, and a reviewer's verdict on a whole cluster.
 */
export function registerDiscover(program: Command, io: CliIO): void {
  const withFlags = (c: Command) =>
    c
      // not requiredOption: commander would then demand it of `discover` when `discover accept` runs
      .option('--model <dir|ref>', 'required: the served model (its embedder places the messages), a bundle directory or models:/NAME@ALIAS')
      .option('--store <uri>', 'review store (default: review.uri)')
      .option('--since <window>', 'review items seen within this window: 90m, 24h, 7d, 2w', '7d')
      .option('--reason <list>', 'only items queued for these reasons, comma-separated (default: all but audit)')
      .option('--min-similarity <x>', 'average cosine similarity within a cluster, -1…1 (default by embedder: hashed 0.2, sentence encoders 0.4)', numberOption('--min-similarity'))
      .option('--min-size <n>', `fewest distinct messages in a cluster (default ${DISCOVER_DEFAULTS.minSize})`, positiveIntOption('--min-size'))
      .option('--max-items <n>', `cluster at most this many items, the most recently seen (default and limit ${DISCOVER_DEFAULTS.maxItems})`, positiveIntOption('--max-items'))
      .option('--json', 'print JSON');

  const run = <T>(cmd: Command, o: Flags, f: (d: DiscoverService, q: DiscoverQuery) => Promise<T>, naming = false): Promise<T> =>
    (async () => {
      if (!o.model) throw new IntentOpsError('invalid_input', "required option '--model <dir|ref>' not specified", { where: '--model', hint: 'the served model: a bundle directory or models:/NAME@ALIAS' });
      const c = configFor(cmd, io);
      const q: DiscoverQuery = {
        windowMs: parseWindow(o.since),
        reasons: o.reason ? o.reason.split(',').map((r) => r.trim()).filter(Boolean) : undefined,
        minSimilarity: o.minSimilarity,
        minSize: o.minSize,
        maxItems: o.maxItems,
      };
      const model = await openModel(await resolveModelRef(o.model, c), c);
      try {
        const r = await openReviews(c, { store: o.store });
        // only the listing names clusters: accept and reject find them by id, which names do not change
        const n = naming ? await openDiscoveryNamer(c) : { namer: undefined, close: async () => undefined };
        try {
          let warned = false;
          const onError = (e: unknown) => void (warned || ((warned = true), io.stderr.write(`warning: cluster naming by the LLM failed (those clusters keep their terms names): ${(e as Error).message}\n`)));
          return await f(new DiscoverService({ queue: r.service, embedder: model.embedder, labels: model.labels, ...(n.namer ? { namer: n.namer, naming: { maxClusters: c.llm.naming.maxClusters, onError } } : {}) }), q);
        } finally {
          await n.close();
          await r.close();
        }
      } finally {
        await model.close();
      }
    })();

  const discover = withFlags(
    program
      .command('discover')
      .description('intent discovery: cluster the out-of-scope and unsure messages waiting for review; `discover accept|reject CLUSTER` labels a whole cluster'),
  )
    .option('--md <file>', 'also write the clusters as a Markdown report')
    .action(
      action(io, async (o: Flags, cmd: Command) =>
        run(cmd, o, async (d, q) => {
          const report = await d.discover(q);
          if (o.md) writeFileSync(o.md, markdown(report, o.since));
          out(io, o.json ? JSON.stringify(report, null, 2) : table(report, o.since));
        }, true),
      ),
    );

  // the listing's flags (--model, --since, …) belong to `discover` and are read from it, wherever
  // they stand on the line: commander hands a parent the options of its subcommands it knows
  const verdict = (name: string, description: string, f: (d: DiscoverService, id: string, who: string, o: Flags, q: DiscoverQuery) => Promise<ClusterAction>) => {
    const c = discover.command(name).description(`${description}; takes the same --model, --since, --reason, --min-similarity, --min-size as the listing, to find the cluster`).argument('<cluster>', 'cluster id, as `intentops discover` shows it (c-…)');
    if (name === 'accept') c.requiredOption('--intent <name>', "the intent its messages are: a new one (retrain makes it a class once it has 5 labels), or one of the model's it missed");
    c.option('--who <name>', 'reviewer name (default: $INTENTOPS_USER, $USER)').action(
      action(io, async (id: string, _o: Flags, cmd: Command) => {
        const o = cmd.optsWithGlobals() as Flags;
        return run(cmd, o, async (d, q) => {
          const r = await f(d, id, o.who ?? whoAmI(io.env), o, q);
          if (o.json) return out(io, JSON.stringify({ cluster: r.cluster.id, name: r.cluster.name, label: r.label, newIntent: r.newIntent, labelled: r.labelled.map((i) => i.id), failed: r.failed }, null, 2));
          const what = r.label === 'out_of_scope' ? 'out_of_scope' : `${r.label}${r.newIntent ? ' (new intent)' : ''}`;
          out(io, `${r.cluster.id} (${r.cluster.name}): ${r.labelled.length} review item(s) labelled ${what}`);
          for (const x of r.failed) out(io, `  not labelled ${x.id}: ${x.error}`);
          if (r.newIntent) out(io, `retrain makes ${r.label} a class once it has 5 labelled examples`);
          if (r.failed.length) return 1;
        });
      }),
    );
  };
  verdict('accept', 'accept a cluster as an intent: every item in it is labelled --intent (training examples for retrain)', (d, id, who, o, q) => {
    if (!o.intent) throw new IntentOpsError('invalid_input', "required option '--intent <name>' not specified", { where: '--intent', hint: 'the intent the cluster is, e.g. --intent loyalty_points' });
    return d.accept(id, o.intent, who, q);
  });
  verdict('reject', 'mark a cluster out of scope: every item in it is labelled out_of_scope', (d, id, who, _o, q) => d.reject(id, who, q));
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function growth(c: DiscoveredCluster): string {
  const g = c.growth;
  const ratio = g.ratio === null ? (g.lastHalf > 0 ? 'new' : '–') : `×${g.ratio.toFixed(1)}`;
  return `${g.firstHalf}→${g.lastHalf} ${ratio}`;
}

function summary(r: DiscoveryReport, since: string): string {
  return `${r.clusters.length} cluster(s) of ${r.items.inClusters} among ${r.items.clustered} open review items seen in the last ${since} (${r.items.open} open in all; embedder ${r.embedder}, min similarity ${r.params.minSimilarity}, min size ${r.params.minSize})`;
}

/** Who named the clusters, e.g. "names: 3 by the LLM (2 calls, $0.000120), 1 from distinctive terms". */
function namingLine(r: DiscoveryReport): string {
  const n = r.naming;
  if (n.source === 'terms') return 'names: from distinctive terms (no LLM configured, or llm.naming.enabled is false)';
  const cost = n.costUsd > 0 ? `, $${n.costUsd.toPrecision(3)}` : '';
  return `names: ${n.named} by the LLM (${n.calls} call(s)${cost}), ${n.fellBack} from distinctive terms`;
}

const sourceTag = (c: DiscoveredCluster) => (c.nameSource === 'llm' ? ' (llm)' : '');

function table(r: DiscoveryReport, since: string): string {
  const lines = [summary(r, since)];
  if (r.truncated) lines.push(`note: ${r.truncated}`);
  if (!r.clusters.length) return lines.join('\n');
  lines.push(namingLine(r));
  lines.push('', `${'CLUSTER'.padEnd(13)} ${'NAME'.padEnd(28)} ${'MSGS'.padStart(5)} ${'ITEMS'.padStart(5)}  ${'GROWTH (1st→2nd half)'.padEnd(22)} ${'MODEL GUESS'.padEnd(24)} REASONS`);
  for (const c of r.clusters) {
    const reasons = Object.entries(c.reasons)
      .slice(0, 2)
      .map(([k, v]) => `${k} ${pct(v)}`)
      .join(', ');
    lines.push(`${c.id.padEnd(13)} ${clip(c.name + sourceTag(c), 28).padEnd(28)} ${String(c.size).padStart(5)} ${String(c.items).padStart(5)}  ${growth(c).padEnd(22)} ${clip(`${c.topGuess.intent} ${pct(c.topGuess.share)}`, 24).padEnd(24)} ${reasons}`);
    for (const m of c.representatives) lines.push(`${' '.repeat(14)}${JSON.stringify(clip(m.text, 100))}`);
  }
  lines.push('', 'accept one as an intent: intentops discover accept CLUSTER --intent NAME (same --model/--since/… flags); mark one out of scope: intentops discover reject CLUSTER');
  return lines.join('\n');
}

function markdown(r: DiscoveryReport, since: string): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`# Intent discovery, ${r.generatedAt}`, '', summary(r, since) + '.', ''];
  if (r.truncated) lines.push(`> ${r.truncated}`, '');
  if (r.clusters.length) {
    lines.push(`${namingLine(r)}.`, '');
    lines.push('| Cluster | Suggested name | Messages | Items | Growth (1st → 2nd half) | Model guess | Reasons |', '|---|---|---:|---:|---|---|---|');
    for (const c of r.clusters) {
      const reasons = Object.entries(c.reasons)
        .map(([k, v]) => `${k} ${pct(v)}`)
        .join(', ');
      lines.push(`| \`${c.id}\` | ${esc(c.name)}${sourceTag(c)} | ${c.size} | ${c.items} | ${growth(c)} | ${esc(c.topGuess.intent)} ${pct(c.topGuess.share)} | ${reasons} |`);
    }
    for (const c of r.clusters) {
      const why = c.naming?.by === 'terms' ? ` (${esc(c.naming.why)})` : '';
      lines.push('', `## ${esc(c.name)} (\`${c.id}\`)`, '', `Named ${c.nameSource === 'llm' ? 'by the LLM' : c.nameSource === 'terms' ? 'from distinctive terms' : 'by its id'}${why}. Distinctive terms: ${c.terms.join(', ') || '–'}.`, '');
      for (const m of c.representatives) lines.push(`- ${esc(m.text)}`);
    }
    lines.push('', 'Accept a cluster as an intent with `intentops discover accept CLUSTER --intent NAME`, or mark it out of scope with `intentops discover reject CLUSTER` (same flags as the listing).');
  }
  return lines.join('\n') + '\n';
}
