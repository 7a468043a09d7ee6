/**
 * Fault injection: `intentops train` SIGKILLed while it trains. Its tracked run must not stay
 * 'running' for ever: the next reader (`runs list`, the API, the dashboard) finds its process gone
 * and marks it failed, saying why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrackingStore } from '../../src/adapters/tracking/index.js';
import { CLI_MAIN, SHARED, tempDir } from '../helpers/sample.js';
import { within } from './processes.js';

// 10,000 examples: long enough a training that the kill lands while it runs
const DATA = join(SHARED, 'datasets/banking77/train.jsonl');

describe('a killed train', () => {
  it('leaves its run failed (process gone), not running', async () => {
    const dir = tempDir('intentops-train-kill-');
    const uri = `sqlite:${join(dir, 'runs.db')}`;
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', INTENTOPS_TRACKING_URI: uri };
    const proc = spawn(process.execPath, [CLI_MAIN, 'train', '--data', DATA, '--out', join(dir, 'model'), '--embedder', 'hashed', '--name', 'killed'], { cwd: dir, env, stdio: 'ignore' });
    const exit = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
    const store = await openTrackingStore(uri);
    try {
      // the run is recorded before training starts: kill as soon as it is there
      await within(60_000, 'the tracked run to be created', async () => (await store.listRuns({ limit: 1 }).catch(() => [])).length === 1);
      proc.kill('SIGKILL');
      expect(await exit).toBe('SIGKILL');
      const [run] = await store.listRuns();
      expect(run).toMatchObject({ name: 'killed', status: 'failed', error: expect.stringMatching(/its process \(pid \d+ on .+\) is gone/) });
      expect(run.environment.pid).toBe(proc.pid);
      // the CLI reader says the same
      const listed = spawnSync(process.execPath, [CLI_MAIN, 'runs', 'list', '--json'], { cwd: dir, env, encoding: 'utf8' });
      expect(listed.stdout).toContain('"failed"');
      expect(listed.stdout).not.toContain('"running"');
    } finally {
      proc.kill('SIGKILL');
      await store.close();
    }
  });
});
