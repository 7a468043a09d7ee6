/**
 * Trained bundles shared by the whole test run. Some 40 test files train the same small models
 * (the sample data, `hashed`, a handful of seeds) only to have something to serve, register or
 * evaluate; training is deterministic (same data, options and seed give the same weights, tested
 * in test/e2e/cli.test.ts), so the first file to ask for one trains it and the others copy it.
 *
 * vitest's global setup (test/helpers/global-setup.ts) names the cache in INTENTOPS_TEST_TRAIN_CACHE:
 * a fresh directory for one `vitest run`, removed afterwards; or, when the caller set the variable
 * (.ci/run does, for its runs on Node 20, 24 and 22), a subdirectory of that one named by a hash of
 * src/ and package-lock.json, so a bundle is never reused across code changes. Without that
 * variable (a test file run by some other runner) every call trains for real.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { trainModel } from '../../src/app/container/index.js';
import type { TrainRequest, TrainResult } from '../../src/app/services/train.js';
import { TRAIN_CACHE_ENV } from './sample.js';

/**
 * What makes two requests train the same bundle: every option but the bundle's name and where it
 * goes (the name is only written into manifest.json, set on each copy: nameOf), and the data files'
 * bytes and names (the extension picks the reader; where they are does not matter). (The code that
 * trains: the cache directory's name, test/helpers/global-setup.ts.)
 */
function keyOf(req: TrainRequest): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ ...req, name: undefined, out: undefined, data: basename(req.data), val: req.val && basename(req.val) }));
  h.update(readFileSync(req.data));
  if (req.val) h.update(readFileSync(req.val));
  return h.digest('hex').slice(0, 24);
}

/** The name trainModel gives the bundle: the request's, else its directory's (src/app/services/train.ts). */
const nameOf = (req: TrainRequest): string => req.name ?? req.out.split(/[\\/]/).filter(Boolean).pop() ?? 'model';

/**
 * `trainModel(req)`, or a copy of the bundle an identical request trained earlier in this test run.
 * Trains for real when `out` already exists (a test of writing over a bundle), when the request
 * carries a function (progress, clock) or a vector cache, or when no cache is set up.
 */
export async function trainBundle(req: TrainRequest): Promise<TrainResult> {
  const cache = process.env[TRAIN_CACHE_ENV];
  const plain = Object.values(req).every((v) => typeof v !== 'function') && req.cacheDir === undefined && req.progress === undefined;
  if (!cache || !existsSync(cache) || !plain || existsSync(req.out)) return trainModel(req);
  const key = keyOf(req);
  const entry = join(cache, key);
  const started = process.cpuUsage();
  let trained = false;
  // one trainer per request: the first file to ask takes the lock (an atomic mkdir) and trains;
  // a file asking meanwhile (the other vitest worker) waits for that bundle instead of training
  // it a second time, and trains itself only if the holder gave up without one (its error)
  const lock = join(cache, `.lock-${key}`);
  while (!existsSync(join(entry, 'result.json'))) {
    if (tryLock(lock)) {
      try {
        if (!existsSync(join(entry, 'result.json'))) {
          await trainInto(cache, entry, req);
          trained = true;
        }
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  cpSync(join(entry, 'bundle'), req.out, { recursive: true });
  // the name this request asked for, written as trainModel writes the manifest (no checksum
  // covers manifest.json itself: it holds the other files' checksums)
  const manifestFile = join(req.out, 'manifest.json');
  const manifest = { ...(JSON.parse(readFileSync(manifestFile, 'utf8')) as TrainResult['manifest']), name: nameOf(req) };
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  const used = process.cpuUsage(started);
  costLog()?.trainings.push({ data: basename(req.data), seed: req.seed, trained, cpu: (used.user + used.system) / 1e6 });
  const saved = JSON.parse(readFileSync(join(entry, 'result.json'), 'utf8')) as Omit<TrainResult, 'dir'>;
  return { ...saved, manifest, dir: req.out };
}

/** The cost log's record of this test file (test/helpers/cost.ts), when INTENTOPS_TEST_COST is set. */
function costLog(): { trainings: { data: string; seed: number; trained: boolean; cpu: number }[] } | undefined {
  return (globalThis as Record<string, unknown>).__intentopsTestCost as never;
}

function tryLock(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Trains `req` beside `entry` and renames it into place, so a reader never sees half a bundle. */
async function trainInto(cache: string, entry: string, req: TrainRequest): Promise<void> {
  const tmp = mkdtempSync(join(cache, '.training-'));
  try {
    const r = await trainModel({ ...req, name: 'shared', out: join(tmp, 'bundle') });
    writeFileSync(join(tmp, 'result.json'), JSON.stringify({ manifest: r.manifest, report: r.report, seconds: r.seconds }));
    renameSync(tmp, entry);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
