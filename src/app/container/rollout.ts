import { openRolloutStore } from '../../adapters/rollout/index.js';
import { parseModelUri } from '../../ports/model-uri.js';
import type { ModelVersion } from '../../ports/registry-store.js';
import type { Config } from '../config.js';
import { serveAs } from '../classify/service.js';
import { resolveModelUri, type Registry } from '../services/registry.js';
import { LiveRollout, RolloutService, type ChallengerGate, type OutcomeSources } from '../services/rollout.js';
import { versionGate } from './gate.js';
import { isRegistryRef, openRegistry, openServingModel } from './models.js';

/* Part of the composition root (src/app/container/index.ts): rollout of a registry champion. */

/** `models:/NAME@champion` (or `NAME@champion`): the served model follows a rollout. */
export function championOf(spec: string): string | undefined {
  if (spec.includes(',') || !isRegistryRef(spec)) return undefined;
  const { name, ref } = parseModelUri(spec);
  return typeof ref === 'object' && ref.alias === 'champion' ? name : undefined;
}

/**
 * The quality gate `rollout promote` runs (versionGate): the challenger against the champion on
 * labelled test data, exactly as `intentops promote` does. undefined when no gates file or data is
 * given (flags, else rollout.gates and rollout.data).
 */
export function rolloutGate(c: Config, files: { gates?: string; data?: string } = {}): ChallengerGate | undefined {
  const gates = files.gates ?? c.rollout.gates;
  const data = files.data ?? c.rollout.data;
  return gates && data ? versionGate(c, { gates, data }) : undefined;
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

