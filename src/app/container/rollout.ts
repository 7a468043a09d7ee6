import { openRolloutStore } from '../../adapters/rollout/index.js';
import { parseModelUri } from '../../ports/model-uri.js';
import type { ModelVersion } from '../../ports/registry-store.js';
import type { Config } from '../config.js';
import { serveAs } from '../services/classify.js';
import { loadExamples } from '../services/dataset.js';
import { gateModels, loadGatesFile } from '../services/gate.js';
import { resolveModelUri, type Registry } from '../services/registry.js';
import { LiveRollout, RolloutService, type ChallengerGate, type OutcomeSources } from '../services/rollout.js';
import { isRegistryRef, loadOptions, openModel, openRegistry, openServingModel } from './models.js';

/* Part of the composition root (src/app/container/index.ts): rollout of a registry champion. */

/** `models:/NAME@champion` (or `NAME@champion`): the served model follows a rollout. */
export function championOf(spec: string): string | undefined {
  if (spec.includes(',') || !isRegistryRef(spec)) return undefined;
  const { name, ref } = parseModelUri(spec);
  return typeof ref === 'object' && ref.alias === 'champion' ? name : undefined;
}

/**
 * The quality gate `rollout promote` runs: the challenger against the champion on labelled test
 * data, exactly as `intentops promote` does. undefined when no gates file or data is given.
 */
export function rolloutGate(c: Config, files: { gates?: string; data?: string } = {}): ChallengerGate | undefined {
  const gates = files.gates ?? c.rollout.gates;
  const data = files.data ?? c.rollout.data;
  if (!gates || !data) return undefined;
  return async (challenger, champion) => {
    const g = loadGatesFile(gates);
    const reg = await openRegistry(c);
    try {
      const open = async (v: ModelVersion) => openModel((await resolveModelUri(reg, `models:/${v.name}/${v.version}`)).path, c);
      const candidate = await open(challenger);
      const baseline = champion ? await open(champion) : undefined;
      const examples = (await loadExamples(data, { ...loadOptions(c), keepDuplicates: true })).examples;
      return await gateModels({ gates: g, candidate, baseline, examples });
    } finally {
      await reg.store.close();
    }
  };
}

/** Rollout control for `intentops rollout`: registry, rollout state and the outcome stores from config. */
export async function openRolloutControl(c: Config, o: { gates?: string; data?: string; outcomes?: OutcomeSources } = {}): Promise<{ service: RolloutService; registry: Registry; close(): Promise<void> }> {
  const registry = await openRegistry(c);
  try {
    const rollout = await openRolloutStore(c.registry.uri);
    const service = new RolloutService({ registry, rollout, gate: rolloutGate(c, o), outcomes: o.outcomes, rule: abRule(c) });
    return { service, registry, close: async () => void (await Promise.allSettled([rollout.close(), registry.store.close()])) };
  } catch (e) {
    await registry.store.close();
    throw e;
  }
}

export function abRule(c: Config) {
  return { alpha: c.rollout.alpha, minSamples: c.rollout.minSamples, minEffect: c.rollout.minEffect };
}

/** A champion served under a rollout: the registry, the shared state and what this process routes. */
export async function openLiveRollout(name: string, c: Config): Promise<{ registry: Registry; live: LiveRollout; rollout: Awaited<ReturnType<typeof openRolloutStore>> }> {
  const registry = await openRegistry(c);
  try {
    const rollout = await openRolloutStore(c.registry.uri);
    try {
      const load = async (v: ModelVersion) => serveAs(await openServingModel((await resolveModelUri(registry, `models:/${v.name}/${v.version}`)).path, c), { name: v.name, version: String(v.version) });
      return { registry, rollout, live: await LiveRollout.open({ name, registry: registry.store, rollout, load }) };
    } catch (e) {
      await rollout.close();
      throw e;
    }
  } catch (e) {
    await registry.store.close();
    throw e;
  }
}

