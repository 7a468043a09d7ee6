import { existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejection, tempDir } from '../../../test/helpers/sample.js';
import { openTrackingStore } from '../tracking/index.js';
import { numberPlaceholders } from './postgres.js';
import { openSqlDb, sqlitePath, uriScheme } from './uri.js';

describe('store URIs', () => {
  it('reads the scheme case-insensitively, and none from a bare path', () => {
    expect(uriScheme('sqlite:./x.db')).toBe('sqlite');
    expect(uriScheme('PostgreSQL://u@h/db')).toBe('postgresql');
    expect(uriScheme('./intentops.db')).toBeUndefined();
  });

  it('takes the sqlite path literally, or after // in the URL form', () => {
    expect(sqlitePath('sqlite:./intentops.db')).toBe('./intentops.db');
    expect(sqlitePath('sqlite:data/my%20runs.db')).toBe('data/my runs.db');
    expect(sqlitePath('sqlite:///var/lib/intentops.db')).toBe('/var/lib/intentops.db');
    expect(sqlitePath('sqlite::memory:')).toBe(':memory:');
    expect(() => sqlitePath('sqlite:')).toThrow(/names no database file/);
  });

  it('fails an unknown or missing scheme with invalid_config listing the valid ones', async () => {
    for (const uri of ['mysql://root@localhost/x', './intentops.db', 'file:./x']) {
      const err = await rejection(openTrackingStore(uri));
      expect(err.code).toBe('invalid_config');
      expect(err.message).toMatch(/valid: sqlite:PATH.*sqlite::memory:.*postgres:\/\/.*postgresql:/);
      expect(err.hint).toContain('sqlite:./intentops.db');
    }
  });

  it('never echoes a password in errors', async () => {
    const err = await rejection(openTrackingStore('mysql://root:s3cret@localhost/x'));
    expect(err.message).not.toContain('s3cret');
  });

  it('rejects a PostgreSQL schema that is not a plain identifier', async () => {
    const err = await rejection(openSqlDb('postgres://postgres@127.0.0.1:5432/test?schema=a;drop', 'tracking store'));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/not a plain SQL identifier/);
  });

  it('reports an unreachable PostgreSQL server as unavailable, without the password', async () => {
    const err = await rejection(openSqlDb('postgres://u:topsecret@127.0.0.1:1/none', 'tracking store'));
    expect(err.code).toBe('unavailable');
    expect(`${err.message} ${err.where}`).not.toContain('topsecret');
  });

  it('opens a sqlite file relative to the working directory and creates its directory', async () => {
    const dir = tempDir();
    const rel = join(relative(process.cwd(), dir), 'sub', 'x.db');
    const db = await openSqlDb(`sqlite:${rel}`, 'test');
    expect(db.dialect).toBe('sqlite');
    expect(db.where).toBe(join(dir, 'sub', 'x.db'));
    expect(existsSync(join(dir, 'sub', 'x.db'))).toBe(true);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a bare sqlite scheme names no file (it is not a file called "sqlite")', async () => {
    for (const uri of ['sqlite', 'sqlite:']) {
      const err = await rejection(openSqlDb(uri, 'review store'));
      expect(err.code).toBe('invalid_config');
      expect(err.message).toMatch(/names no database file/);
    }
  });

  it('numbers ? placeholders for PostgreSQL', () => {
    expect(numberPlaceholders('SELECT a FROM t WHERE x = ? AND y IN (?, ?)')).toBe('SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)');
  });
});
