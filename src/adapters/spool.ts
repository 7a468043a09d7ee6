import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, existsSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { IntentOpsError } from '../core/errors.js';
import type { Spool } from '../ports/spool.js';

/*
 * The Spool port (src/ports/spool.ts) in memory or as one JSON-lines file per spool. Appends are
 * synchronous (one short write to the page cache, no fsync: a process crash keeps them, only a
 * power cut may lose the last few); the file is rewritten (temp file, fsync, rename) as items are
 * written out, and truncated once it is empty. A line torn by a crash is skipped when the file is
 * read back at the next start.
 */

export interface SpoolOptions {
  /** Directory of the file; '' or undefined keeps the spool in memory only. */
  readonly dir?: string;
  /** File name stem: `<dir>/<name>.jsonl`. */
  readonly name: string;
  /** Items held at most. */
  readonly capacity: number;
}

/**
 * Opens the spool `name` in `dir` (created when missing), reading back what a previous process
 * left there (beyond `capacity`, the newest lines are not loaded and `recoveredDropped` says how
 * many); without `dir`, a memory-only spool.
 *
 * @example
 * const spool = openSpool<{ text: string }>({ dir: '/var/lib/intentops/spool', name: 'review', capacity: 10_000 });
 * if (!spool.push({ text: 'hi' })) dropped++;
 * for (const item of spool.peek(50)) { await store.add(item); spool.shift(1); }
 */
export function openSpool<T>(o: SpoolOptions): Spool<T> & { readonly recoveredDropped: number; readonly path?: string } {
  if (!Number.isInteger(o.capacity) || o.capacity < 1) throw new IntentOpsError('invalid_config', `spool capacity must be a positive integer, got ${o.capacity}`, { where: `${o.name} spool` });
  return o.dir ? new FileSpool<T>(o.dir, o.name, o.capacity) : new MemorySpool<T>(o.capacity);
}

class MemorySpool<T> implements Spool<T> {
  protected items: T[] = [];
  readonly recoveredDropped: number = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): boolean {
    if (this.items.length >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  peek(n: number): T[] {
    return this.items.slice(0, n);
  }

  shift(n: number): void {
    this.items.splice(0, n);
  }

  async close(): Promise<void> {}
}

class FileSpool<T> extends MemorySpool<T> {
  readonly path: string;
  override readonly recoveredDropped: number;
  private fd: number | undefined;

  constructor(dir: string, name: string, capacity: number) {
    super(capacity);
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new IntentOpsError('internal', `spool name ${JSON.stringify(name)} is not a plain file name`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new IntentOpsError('invalid_config', `cannot create the spool directory ${dir}: ${(e as Error).message}`, { where: `${name} spool directory`, hint: 'point it at a writable directory, or leave it empty to spool in memory', cause: e });
    }
    this.path = join(dir, `${name}.jsonl`);
    let dropped = 0;
    if (existsSync(this.path)) {
      for (const line of readFileSync(this.path, 'utf8').split('\n')) {
        if (!line) continue;
        let item: T;
        try {
          item = JSON.parse(line) as T;
        } catch {
          continue; // torn by a crash mid-append
        }
        if (this.items.length < capacity) this.items.push(item);
        else dropped++;
      }
    }
    this.recoveredDropped = dropped;
    this.rewrite();
  }

  override push(item: T): boolean {
    if (!super.push(item)) return false;
    try {
      writeSync(this.open(), `${JSON.stringify(item)}\n`);
    } catch (e) {
      this.items.pop();
      throw new IntentOpsError('unavailable', `cannot append to the spool file ${this.path}: ${(e as Error).message}`, { where: this.path, hint: 'free disk space or fix the directory permissions', cause: e });
    }
    return true;
  }

  override shift(n: number): void {
    if (n <= 0) return;
    super.shift(n);
    this.rewrite();
  }

  override async close(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    return (this.fd ??= openSync(this.path, 'a'));
  }

  /** The file as the held items: truncated when empty, else replaced atomically. */
  private rewrite(): void {
    if (!this.items.length) {
      ftruncateSync(this.open(), 0);
      return;
    }
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, this.items.map((i) => `${JSON.stringify(i)}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    renameSync(tmp, this.path);
  }
}
