import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { IntentOpsError } from '../../core/errors.js';
import type { ArtifactPruner, ArtifactStore, StoredArtifact } from '../../ports/artifact-store.js';
import { alive, fsyncDir, writeFileDurable } from '../../lib/durable-fs.js';
import { writeDirAtomic } from '../bundle/index.js';
import { describeDrift, hashDirectory, HASH_PATTERN, type TreeEntry } from './tree-hash.js';

/** Points where a test may stop a writer: files copied but not yet visible, and visible. */
export type ArtifactWriteStep = 'files-copied' | 'stored';

export interface LocalArtifactStoreOptions {
  readonly onStep?: (step: ArtifactWriteStep) => void;
}



/**
 * Artifacts in a local directory:
 *   <root>/sha256/<hash>/…         the files, read-only, exactly as put
 *   <root>/listings/<hash>.json    the (path, sha256, bytes) listing, to name what drifted
 *   <root>/tmp/<pid>-<random>/     writes in progress (removed once their writer is dead)
 * A put copies into tmp/, fsyncs, then renames into sha256/: the rename is the commit, so a
 * crash leaves either nothing or a whole artifact (plus a temp dir the next put removes).
 */
export class LocalArtifactStore implements ArtifactStore, ArtifactPruner {
  readonly root: string;

  constructor(
    root: string,
    private readonly opts: LocalArtifactStoreOptions = {},
  ) {
    this.root = resolve(root);
  }

  private dirOf(hash: string): string {
    return join(this.root, 'sha256', hash);
  }

  private listingOf(hash: string): string {
    return join(this.root, 'listings', `${hash}.json`);
  }

  private checkHash(hash: string): void {
    if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) {
      throw new IntentOpsError('invalid_input', `artifact hash must be 64 lower-case hex digits, got ${JSON.stringify(hash)}`, { where: 'artifact hash' });
    }
  }

  private newTemp(tag = ''): string {
    const tmpRoot = join(this.root, 'tmp');
    mkdirSync(tmpRoot, { recursive: true });
    for (const name of readdirSync(tmpRoot)) {
      const pid = Number(name.split('-')[0]);
      if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(join(tmpRoot, name), { recursive: true, force: true });
    }
    const tmp = join(tmpRoot, `${process.pid}-${tag}${randomBytes(6).toString('hex')}`);
    mkdirSync(tmp);
    return tmp;
  }

  async put(dir: string): Promise<string> {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new IntentOpsError('not_found', `no directory at ${dir}`, { where: dir, hint: 'pass the directory of a model bundle' });
    }
    const { hash, entries } = hashDirectory(dir);
    if (entries.length === 0) throw new IntentOpsError('invalid_input', `${dir} holds no files`, { where: dir });
    const final = this.dirOf(hash);
    if (this.touch(final)) return hash;
    const tmp = this.newTemp();
    try {
      const dirs = new Set<string>([tmp]);
      const copied = hashDirectory(dir, (e, data) => {
        const target = join(tmp, ...e.path.split('/'));
        mkdirSync(dirname(target), { recursive: true });
        for (let d = dirname(target); d.length > tmp.length; d = dirname(d)) dirs.add(d);
        writeFileDurable(target, data);
        chmodSync(target, 0o444);
      });
      if (copied.hash !== hash) {
        throw new IntentOpsError('invalid_input', `${dir} changed while it was being stored (${describeDrift(entries, copied.entries)})`, { where: dir, hint: 'store a bundle no process is still writing' });
      }
      for (const d of [...dirs].sort((a, b) => b.length - a.length)) fsyncDir(d);
      this.writeListing(hash, entries);
      this.opts.onStep?.('files-copied');
      mkdirSync(dirname(final), { recursive: true });
      try {
        renameSync(tmp, final);
      } catch (e) {
        // a concurrent put of the same content won the race: theirs is identical
        if (!existsSync(final)) throw e;
        rmSync(tmp, { recursive: true, force: true });
      }
      fsyncDir(dirname(final));
      this.touch(final);
      this.opts.onStep?.('stored');
      return hash;
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /** Marks a stored artifact as just stored (see remove); false if it is not there. */
  private touch(dir: string): boolean {
    try {
      const now = new Date();
      utimesSync(dir, now, now);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  private writeListing(hash: string, entries: readonly TreeEntry[]): void {
    const path = this.listingOf(hash);
    mkdirSync(dirname(path), { recursive: true });
    const part = `${path}.${process.pid}.part`;
    writeFileDurable(part, JSON.stringify(entries));
    renameSync(part, path);
    fsyncDir(dirname(path));
  }

  private readListing(hash: string): TreeEntry[] | undefined {
    try {
      return JSON.parse(readFileSync(this.listingOf(hash), 'utf8')) as TreeEntry[];
    } catch {
      return undefined;
    }
  }

  async has(hash: string): Promise<boolean> {
    this.checkHash(hash);
    return existsSync(this.dirOf(hash));
  }

  private corrupt(hash: string, actual: { hash: string; entries: TreeEntry[] }): IntentOpsError {
    const listing = this.readListing(hash);
    const drift = listing ? describeDrift(listing, actual.entries) : `its content now hashes to ${actual.hash}`;
    return new IntentOpsError('corrupt', `artifact sha256:${hash.slice(0, 12)}… failed verification: ${drift || 'content differs'}`, {
      where: this.dirOf(hash),
      hint: 'the stored copy was modified on disk: restore it from a backup, or register the bundle again',
    });
  }

  async materialise(hash: string, destDir?: string): Promise<string> {
    this.checkHash(hash);
    const src = this.dirOf(hash);
    if (!existsSync(src)) {
      throw new IntentOpsError('not_found', `no artifact sha256:${hash.slice(0, 12)}… in ${this.root}`, { where: src, hint: 'the artifact store does not hold this version: check the store location' });
    }
    if (destDir === undefined) {
      const actual = hashDirectory(src);
      if (actual.hash !== hash) throw this.corrupt(hash, actual);
      return src;
    }
    writeDirAtomic(resolve(destDir), (tmp) => {
      const actual = hashDirectory(src, (e, data) => {
        const target = join(tmp, ...e.path.split('/'));
        mkdirSync(dirname(target), { recursive: true });
        writeFileDurable(target, data);
      });
      if (actual.hash !== hash) throw this.corrupt(hash, actual);
    });
    return resolve(destDir);
  }

  async list(): Promise<StoredArtifact[]> {
    const base = join(this.root, 'sha256');
    if (!existsSync(base)) return [];
    return readdirSync(base)
      .filter((n) => HASH_PATTERN.test(n))
      .map((hash) => ({ hash, storedAt: statSync(join(base, hash)).mtime }))
      .sort((a, b) => a.storedAt.getTime() - b.storedAt.getTime());
  }

  /**
   * Deletes an artifact: renamed out of sha256/ first, so it vanishes at once. With
   * `storedBefore`, the freshness check happens after that rename, so a put that touched it
   * just before is seen, and the artifact is put back (a put racing with the rename stores
   * an identical copy itself).
   */
  async remove(hash: string, opts: { storedBefore?: Date } = {}): Promise<boolean> {
    this.checkHash(hash);
    const src = this.dirOf(hash);
    if (!existsSync(src)) return false;
    const trash = this.newTemp('gc-');
    const moved = join(trash, hash);
    try {
      renameSync(src, moved);
    } catch (e) {
      rmSync(trash, { recursive: true, force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    if (opts.storedBefore && statSync(moved).mtime.getTime() >= opts.storedBefore.getTime()) {
      try {
        renameSync(moved, src);
      } catch {
        // a put stored the same content again meanwhile: that copy stands
      }
      rmSync(trash, { recursive: true, force: true });
      return false;
    }
    rmSync(this.listingOf(hash), { force: true });
    rmSync(trash, { recursive: true, force: true });
    return true;
  }
}
