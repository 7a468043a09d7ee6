import { createHash } from 'node:crypto';
import type { RolloutMode } from './state.js';

/** Which version answers a request. */
export type Arm = 'champion' | 'challenger';

/**
 * A client's fixed position in [0, 1): the first 52 bits of sha256(model name, NUL, key) over
 * 2^52. The same key always lands at the same point, on every replica and after restarts;
 * keys spread uniformly, so the keys below `share` are about `share` of all keys. Hashing the
 * model name in keeps one client from being in every model's canary at once.
 *
 * @example
 *   stickyPoint('tickets', 'client-42') // 0.7013… (always)
 */
export function stickyPoint(model: string, key: string): number {
  const d = createHash('sha256').update(model).update('\0').update(key).digest();
  // 52 bits: 4 bytes + 20 bits, exactly representable as a double
  const hi = d.readUInt32BE(0);
  const lo = d.readUInt32BE(4) >>> 12;
  return (hi * 2 ** 20 + lo) / 2 ** 52;
}

/**
 * The arm for one request. canary / ab with a loaded challenger: the challenger when the
 * client's sticky point (or, without a client key, a fresh random draw) is below `share`. A
 * client therefore stays in its arm while the share is unchanged, and one in the challenger
 * arm stays there when the share grows. Every other mode answers with the champion.
 */
export function chooseArm(o: { mode: RolloutMode; share: number; model: string; hasChallenger: boolean; subject?: string; random: () => number }): Arm {
  if (!o.hasChallenger || (o.mode !== 'canary' && o.mode !== 'ab') || o.share <= 0) return 'champion';
  const u = o.subject ? stickyPoint(o.model, o.subject) : o.random();
  return u < o.share ? 'challenger' : 'champion';
}
