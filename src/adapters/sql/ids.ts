import { randomBytes } from 'node:crypto';

/*
 * Review item ids are monotonic ULIDs (https://github.com/ulid/spec): 10 Crockford base-32
 * characters of millisecond time, then 16 of an 80-bit tail that is random on a new
 * millisecond and incremented within one. Plain string comparison therefore sorts by creation,
 * which is what `list({ after })` pagination relies on, and ids from several replicas writing
 * to one PostgreSQL table do not collide. A clock that steps back is treated as standing still,
 * so ids never go backwards within a process.
 */

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TAIL_BITS = 80n;
const MAX_TIME = 2 ** 48 - 1;

export type Clock = () => number;
export type RandomBytes = (n: number) => Uint8Array;

export const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

function decode(s: string): bigint {
  let v = 0n;
  for (const c of s) v = v * 32n + BigInt(ALPHABET.indexOf(c.toUpperCase()));
  return v;
}

function encode(value: bigint, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * A generator of monotonic ULIDs from an injected clock (ms since epoch) and random source.
 * With `floor` (the largest id already stored), every new id sorts after it, even when a store
 * is reopened within the same millisecond or after the clock stepped back.
 */
export function ulidFactory(now: Clock = Date.now, random: RandomBytes = randomBytes, floor?: string): () => string {
  let lastTime = -1;
  let tail = 0n;
  if (floor && ULID.test(floor)) {
    lastTime = ulidTime(floor);
    tail = decode(floor.slice(10));
  }
  return () => {
    const t = Math.floor(now());
    if (!(t >= 0 && t <= MAX_TIME)) throw new RangeError(`clock returned ${t}: not a time a ULID can hold`);
    if (t > lastTime) {
      lastTime = t;
      // top bit cleared so 2^79 increments fit before the tail would overflow
      tail = BigInt(`0x${Buffer.from(random(10)).toString('hex')}`) & ((1n << (TAIL_BITS - 1n)) - 1n);
    } else {
      tail += 1n;
      if (tail >> TAIL_BITS) {
        lastTime += 1; // borrow the next millisecond rather than wrap
        tail = 0n;
      }
    }
    return encode(BigInt(lastTime), 10) + encode(tail, 16);
  };
}

/**
 * Monotonic ULIDs written in lower case (the ULID spec reads either case), for a table whose rows
 * carry UUIDv7 ids from earlier releases: the tracking runs. Lower case sorts every new id after
 * every UUIDv7 written before it, in SQLite's byte order and PostgreSQL's collations alike (upper
 * case would sort before them in byte order: 'M' < 'a'), so "newest first" stays true.
 */
export function lowerUlidFactory(now: Clock = Date.now, random: RandomBytes = randomBytes): () => string {
  const next = ulidFactory(now, random);
  return () => next().toLowerCase();
}

/** The millisecond timestamp encoded in a ULID (either case). */
export function ulidTime(id: string): number {
  return Number(decode(id.slice(0, 10)));
}

/** True for a string in the ULID form this module mints (26 Crockford base-32 characters). */
export function isUlid(id: string): boolean {
  return ULID.test(id);
}
