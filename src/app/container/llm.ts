import { createLlm, createTemplatedLlm, openaiClusterNamer, ProviderBackoff, type LlmDeps, type LlmStats } from '../../adapters/llm/index.js';
import { openSpendCounter } from '../../adapters/spend/index.js';
import type { ClusterNamer } from '../../ports/cluster-namer.js';
import { LlmBudget } from '../services/budget.js';
import { openLlmResponseCache as openCacheAt } from '../../adapters/llm/eval-cache.js';
import { chatOptionsOf, loadVariant as loadVariantFile } from '../../adapters/llm/variant.js';
import type { LlmResponseCache, LlmVariant, LlmVariantClient } from '../../ports/llm-variant.js';
import { IntentOpsError } from '../../core/errors.js';
import type { Llm } from '../../ports/llm.js';
import type { Config } from '../config.js';
import { LlmShadowStats, type LlmShadow } from '../classify/llm-shadow.js';
import { resolveVariant } from '../services/llm-registry.js';
import type { Registry } from '../services/registry.js';
import { openRegistry } from './models.js';

/*
 * Part of the composition root: the LLM fallback as served. With `llm.variant` set, the variant
 * registry's `champion` of that name answers (its provider, model, price and template; the call
 * settings — timeouts, retries, circuit, concurrency — from config), labelled `NAME@VERSION` in
 * every answer; without a champion (or without `llm.variant`), the configured provider and prompt
 * file answer as before. Its `challenger` shadows it while shadow mode is on (`llm.shadow.enabled`,
 * or the `shadow` alias that `intentops llm rollout shadow NAME` sets). Every client shares one
 * per-provider back-off. `refresh` re-reads the aliases (called every registry.pollMs).
 */

/** Marks shadow mode on for a variant name in the registry (set by `intentops llm rollout shadow`, removed by `off`). */
export const SHADOW_ALIAS = 'shadow';

export interface ServedLlmStatus {
  /** The registered name followed (llm.variant), or null when serving from the prompt file. */
  readonly name: string | null;
  /** The variant label answers carry. */
  readonly champion: string;
  /** The challenger's label while shadow mode runs, else null. */
  readonly challenger: string | null;
  readonly shadow: { readonly on: boolean; readonly sampleRate: number; readonly maxInFlight: number };
}

export interface ServedLlm {
  /** The champion's client; it follows alias moves (the same object throughout). */
  readonly llm: Llm & { stats(): LlmStats };
  /** Shadow mode now (undefined: off). `wrap` is applied to the challenger's client (the daily budget). */
  shadow(): LlmShadow | undefined;
  readonly shadowStats: LlmShadowStats;
  /** Intent discovery's cluster namer (llm.naming), sharing the fallback's provider back-off; absent when naming is off or llm.provider is none. */
  readonly namer?: ClusterNamer;
  status(): ServedLlmStatus;
  /** Re-reads the champion, challenger and shadow aliases; returns what changed (for the log). */
  refresh(): Promise<string[]>;
  close(): Promise<void>;
}

/** Reads and validates an LLM variant file; errors name the file and line. */
export function loadVariant(file: string): Promise<LlmVariant> {
  return loadVariantFile(file);
}

/** The chat client of a variant (`llm eval`): its settings, the API key from `env`, the call settings in `tuning`. */
export function variantClient(v: LlmVariant, env: NodeJS.ProcessEnv, tuning: Readonly<Record<string, unknown>>): LlmVariantClient {
  return createTemplatedLlm({ ...chatOptionsOf(v, env, tuning) }, v.template);
}

/** The response cache of `llm eval` in `dir` (SQLite, bounded). */
export function openLlmResponseCache(dir: string): Promise<LlmResponseCache> {
  return openCacheAt(dir);
}

/** The LLM variant registry (llm.registryUri, llm.artifactsUri; the CLI's --registry/--artifacts override them). */
export function openLlmRegistry(c: Config, o: { registry?: string; artifacts?: string } = {}): Promise<Registry> {
  return openRegistry({ ...c, registry: { ...c.registry, uri: o.registry ?? c.llm.registryUri, artifacts: o.artifacts ?? c.llm.artifactsUri } });
}

type Client = Llm & { stats(): LlmStats; readonly variant: string };

/** Options of the chat adapter from the llm section of the config (the prompt file and provider settings). */
export function llmOptions(c: Config): Record<string, unknown> {
  const l = c.llm;
  const azure = l.azureEndpoint ? { azure: { endpoint: l.azureEndpoint, deployment: l.azureDeployment ?? l.model, apiVersion: l.azureApiVersion } } : {};
  return { baseUrl: l.baseUrl, model: l.model, ...(l.apiKey ? { apiKey: l.apiKey } : {}), ...azure, ...tuning(c), prices: l.prices, responseFormat: l.responseFormat, ...(l.promptFile ? { promptFile: l.promptFile } : {}) };
}

/** The call settings that are about serving, not the variant. */
function tuning(c: Config) {
  const l = c.llm;
  return { timeoutMs: l.timeoutMs, deadlineMs: l.deadlineMs, maxRetries: l.maxRetries, circuit: l.circuit, maxConcurrent: l.maxConcurrency, maxQueue: l.maxQueue };
}

/**
 * Opens the served LLM (undefined when llm.provider is none and no variant is named). `wrap`
 * puts a client behind the daily budget (the same one for champion and challenger).
 */
export async function openServedLlm(c: Config, o: { deps?: LlmDeps; env?: NodeJS.ProcessEnv; wrap?: (l: Llm) => Llm; onError?: (e: unknown) => void } = {}): Promise<ServedLlm | undefined> {
  const name = c.llm.variant;
  if (c.llm.provider === 'none' && !name) return undefined;
  const env = o.env ?? process.env;
  const deps: LlmDeps = { backoff: new ProviderBackoff(Math.max(c.llm.deadlineMs, 1000)), ...o.deps };
  const reg = name ? await openLlmRegistry(c) : undefined;
  const fromConfig = async (): Promise<Client> => {
    if (c.llm.provider === 'none') {
      throw new IntentOpsError('invalid_config', `llm.variant ${name} has no champion in the LLM variant registry, and llm.provider is none`, {
        where: `${c.llm.registryUri} (${name}@champion)`,
        hint: `register and promote one (intentops llm register FILE --name ${name} --alias champion), or set llm.provider`,
      });
    }
    return (await createLlm(c.llm.provider, llmOptions(c), deps)) as Client;
  };
  // one client per registered version, built once
  const clients = new Map<number, Client>();
  const clientOf = async (ref: string): Promise<{ version: number; client: Client } | undefined> => {
    const found = await resolveVariant(reg!, ref, loadVariant).catch((e: unknown) => {
      if (e instanceof IntentOpsError && e.code === 'not_found') return undefined;
      throw e;
    });
    if (!found) return undefined;
    let client = clients.get(found.version.version);
    if (!client) {
      const opts = { ...chatOptionsOf(found.variant, env, tuning(c)), variant: `${found.version.name}@${found.version.version}` };
      // the variant's own template (inlined in the registry), not a prompt file
      client = createTemplatedLlm(opts, found.variant.template, deps);
      clients.set(found.version.version, client);
    }
    return { version: found.version.version, client };
  };

  let fallback: Client | undefined;
  let champion: Client;
  let challenger: Client | undefined;
  let shadowAlias = false;
  const read = async (): Promise<{ champion: Client; challenger?: Client; shadowAlias: boolean }> => {
    if (!reg) return { champion: fallback ??= await fromConfig(), shadowAlias: false };
    const ch = await clientOf(`${name}@champion`);
    const cl = await clientOf(`${name}@challenger`);
    const marked = (await clientOf(`${name}@${SHADOW_ALIAS}`)) !== undefined;
    return { champion: ch?.client ?? (fallback ??= await fromConfig()), challenger: cl && cl.version !== ch?.version ? cl.client : undefined, shadowAlias: marked };
  };
  try {
    ({ champion, challenger, shadowAlias } = await read());
  } catch (e) {
    await reg?.store.close();
    throw e;
  }
  const shadowStats = new LlmShadowStats();
  const namer = await openClusterNamer(c, deps);
  const wrap = o.wrap ?? ((l: Llm) => l);
  let wrapped: { of: Client; llm: Llm } | undefined;
  const on = () => challenger !== undefined && (c.llm.shadow.enabled || shadowAlias);
  const facade: Llm & { stats(): LlmStats } = {
    name: 'openai-chat',
    classify: (req, signal) => champion.classify(req, signal),
    stats: () => champion.stats(),
  };
  return {
    llm: facade,
    shadowStats,
    ...(namer ? { namer } : {}),
    shadow() {
      if (!on()) return undefined;
      if (wrapped?.of !== challenger) wrapped = { of: challenger!, llm: wrap(challenger!) };
      return { llm: wrapped!.llm, sampleRate: c.llm.shadow.sampleRate, maxInFlight: c.llm.shadow.maxInFlight, stats: shadowStats };
    },
    status: () => ({
      name: name ?? null,
      champion: champion.variant,
      challenger: on() ? challenger!.variant : null,
      shadow: { on: on(), sampleRate: c.llm.shadow.sampleRate, maxInFlight: c.llm.shadow.maxInFlight },
    }),
    async refresh() {
      if (!reg) return [];
      const before = { champion: champion.variant, challenger: on() ? challenger!.variant : null };
      try {
        ({ champion, challenger, shadowAlias } = await read());
      } catch (e) {
        o.onError?.(e);
        return [];
      }
      const after = { champion: champion.variant, challenger: on() ? challenger!.variant : null };
      const changes: string[] = [];
      if (before.champion !== after.champion) changes.push(`llm champion ${before.champion} → ${after.champion}`);
      if (before.challenger !== after.challenger) changes.push(`llm shadow ${before.challenger ?? 'off'} → ${after.challenger ?? 'off'}`);
      return changes;
    },
    close: async () => {
      await reg?.store.close();
    },
  };
}

/**
 * Intent discovery's cluster namer from the llm section (provider, model, key, prices, retries,
 * circuit settings; its own deadline llm.naming.deadlineMs): undefined when llm.naming.enabled is
 * false or llm.provider is none. A registered variant (llm.variant) classifies, it does not name.
 */
export async function openClusterNamer(c: Config, deps: LlmDeps = {}): Promise<ClusterNamer | undefined> {
  if (!c.llm.naming.enabled || c.llm.provider === 'none') return undefined;
  return openaiClusterNamer.create(llmOptions(c), { deadlineMs: c.llm.naming.deadlineMs }, deps);
}

/**
 * The namer for `intentops discover`, its cost counted in the daily budget (monitor.budget: the
 * same spend counter serving uses, so a shared Redis counter sees it) and refused once a hard
 * cap is reached. Undefined namer: names from terms.
 */
export async function openDiscoveryNamer(c: Config): Promise<{ namer?: ClusterNamer; close(): Promise<void> }> {
  const namer = await openClusterNamer(c);
  if (!namer || !(c.monitor.budget.dailyUsd > 0)) return { namer, close: async () => undefined };
  const budget = new LlmBudget(await openSpendCounter(c.monitor.budget.uri), { ...c.monitor.budget });
  return { namer: budget.wrapNamer(namer), close: () => budget.close() };
}
