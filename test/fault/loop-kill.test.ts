import { beforeAll, describe, expect, it } from 'vitest';
import { openLoopStore } from '../../src/adapters/loop/index.js';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { openRolloutStore } from '../../src/adapters/rollout/index.js';
import { openLoop, openRegistry, openServing } from '../../src/app/container/index.js';
import type { RolloutStatus } from '../../src/app/services/rollout.js';
import { createLogger } from '../../src/app/telemetry/index.js';
import { killScriptAt } from '../helpers/node-script.js';
import { loopWorld, type LoopWorld } from '../helpers/loop-world.js';

/*
 * Crash safety of `intentops loop run`: a child process runs the loop and is SIGKILLed right
 * after an outside effect committed (a version registered, the shadow set, the champion moved)
 * but before the loop saved that it did; the next run resumes without registering, shadowing
 * or promoting twice.
 */

let world: LoopWorld;
const log = createLogger({ level: 'silent' });

const killAt = (point: string) => killScriptAt('test/fault/loop-child.ts', [world.configFile, point], `CHECKPOINT ${point}`).then((out) => out.trim());

async function facts() {
  const c = world.config;
  const reg = await openRegistry(c);
  const rollout = await openRolloutStore(c.registry.uri);
  const loop = await openLoopStore(c.registry.uri);
  try {
    const model = (await reg.store.getModel('tickets'))!;
    const [it] = await loop.iterations('tickets', { limit: 1 });
    return {
      versions: model.versions.length,
      aliases: model.aliases,
      championMoves: (await reg.store.history('tickets', { alias: 'champion' })).length,
      rollout: (await rollout.history('tickets')).map((h) => h.to.mode).reverse(),
      state: it?.state,
      journal: it ? (await loop.journal(it.id)).map((e) => `${e.step}:${e.phase}:${e.outcome ?? ''}`) : [],
    };
  } finally {
    await Promise.all([reg.store.close(), rollout.close(), loop.close()]);
  }
}

async function runHere() {
  const { service, close } = await openLoop(world.config, { who: 'loop-test', log });
  try {
    return await service.run();
  } finally {
    await close();
  }
}

describe('loop crash safety: killed between an outside effect and its record, it resumes without doing it twice', () => {
  beforeAll(async () => {
    world = await loopWorld({ loop: { minNewLabels: 20, shadow: { minMessages: 30, minAgreement: 0.5 } } });
    // 30 messages a reviewer labelled
    const review = await openReviewStore(world.config.review.uri);
    try {
      for (const e of world.traffic.slice(0, 30)) {
        const item = await review.add({ text: e.text, guess: 'unknown', confidence: 0.2, alternatives: [], reason: 'low_confidence', model: { name: 'tickets', version: '1' } });
        await review.claim(item.id, 'reviewer');
        await review.resolve(item.id, 'reviewer', { label: e.label });
      }
    } finally {
      await review.close();
    }
  }, 120_000);

  it('registered, shadow set, promoted: each survives a SIGKILL right after it', async () => {
    // 1. killed once v2 is registered (and aliased challenger), before the loop recorded it
    expect(await killAt('registered')).toBe('CHECKPOINT registered');
    let f = await facts();
    expect(f).toMatchObject({ versions: 2, aliases: { champion: 1, challenger: 2 }, state: 'retrain' });
    expect(f.journal).toEqual(['collect:start:', 'collect:end:ok', 'retrain:start:']);

    // 2. the next run adopts v2 (no retraining, no v3), sets the shadow, and is killed before recording that
    expect(await killAt('shadow-set')).toBe('CHECKPOINT shadow-set');
    f = await facts();
    expect(f).toMatchObject({ versions: 2, state: 'shadow', rollout: ['shadow'] });
    expect(f.journal.slice(3)).toEqual(['retrain:start:', 'retrain:end:ok', 'shadow:start:']);

    // 3. resumed here: the shadow is already on, not set again; now it waits for evidence
    const waiting = await runHere();
    expect(waiting.status).toBe('waiting');
    f = await facts();
    expect(f).toMatchObject({ versions: 2, state: 'judge', rollout: ['shadow'] });

    // shadow traffic through the serving stack
    const serving = await openServing(world.config, { modelDir: 'models:/tickets@champion', log });
    try {
      const status = async () => (await (await serving.app.request('/v1/rollout?analysis=true')).json()) as RolloutStatus;
      for (let i = 0; i < 100 && (await status()).live?.challenger !== 2; i++) await new Promise((r) => setTimeout(r, 50));
      for (const e of world.traffic.slice(30, 80)) {
        const res = await serving.app.request('/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: e.text }) });
        expect(res.status).toBe(200);
      }
      for (let i = 0; i < 200 && ((await status()).logged?.shadow.compared ?? 0) < 30; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await serving.close();
    }

    // 4. killed once the champion moved, before the rollout was turned off and the loop recorded it
    expect(await killAt('promoted')).toBe('CHECKPOINT promoted');
    f = await facts();
    expect(f).toMatchObject({ versions: 2, aliases: { champion: 2, challenger: 2 }, state: 'promote', championMoves: 2 });

    // 5. resumed here: not promoted again (one champion move), the rollout turned off once
    const done = await runHere();
    expect(done.status).toBe('promoted');
    expect(done.steps).toEqual(['promote']);
    f = await facts();
    expect(f).toMatchObject({ versions: 2, aliases: { champion: 2 }, state: 'done', championMoves: 2, rollout: ['shadow', 'off'] });
    expect(f.journal.filter((e) => e.endsWith(':promoted'))).toEqual(['promote:end:promoted']);
  }, 300_000);
});
