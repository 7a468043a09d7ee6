import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/sample.js';
import { IntentOpsError } from '../../core/errors.js';
import { checkpointPath, checkSameRun, readCheckpoint, removeCheckpoint, writeCheckpoint, type Checkpoint } from './classify-file-checkpoint.js';

const cp = (over: Partial<Checkpoint> = {}): Checkpoint => ({ version: 1, run: { model: 'm', textCol: 'text' }, input: { offset: 120, line: 7 }, outputBytes: 300, rows: 6, errors: 1, updatedAt: '2025-01-01T00:00:00.000Z', ...over });

describe('classify-file checkpoints', () => {
  it('are written atomically beside OUT (no temp file left) and read back; none reads as undefined', () => {
    const out = join(tempDir(), 'out.jsonl');
    expect(readCheckpoint(out)).toBeUndefined();
    writeCheckpoint(out, cp());
    writeCheckpoint(out, cp({ rows: 9 }));
    expect(readdirSync(join(out, '..'))).toEqual(['out.jsonl.checkpoint']);
    expect(readCheckpoint(out)).toEqual(cp({ rows: 9 }));
    removeCheckpoint(out);
    expect(readCheckpoint(out)).toBeUndefined();
    removeCheckpoint(out);
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['another version', JSON.stringify(cp({ version: 2 }))],
    ['a missing field', JSON.stringify({ ...cp(), outputBytes: undefined })],
    ['a fractional offset', JSON.stringify(cp({ input: { offset: 1.5, line: 1 } }))],
  ])('a damaged checkpoint (%s) is corrupt, with a --restart hint', (_, text) => {
    const out = join(tempDir(), 'out.csv');
    writeFileSync(checkpointPath(out), text);
    let err: unknown;
    try {
      readCheckpoint(out);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IntentOpsError);
    expect((err as IntentOpsError).code).toBe('corrupt');
    expect((err as IntentOpsError).hint).toMatch(/--restart/);
  });

  it('checkSameRun names every setting that changed', () => {
    const out = join(tempDir(), 'out.csv');
    expect(() => checkSameRun(out, cp(), { model: 'm', textCol: 'text' })).not.toThrow();
    expect(() => checkSameRun(out, cp(), { model: 'n', textCol: 'text', includeText: true })).toThrow(/different run: model \("m" then, "n" now\), includeText \(undefined then, true now\)/);
  });
});
