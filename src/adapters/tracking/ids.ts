import { randomBytes } from 'node:crypto';

/**
 * A UUIDv7 generator (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter that keeps
 * ids from one generator strictly increasing within a millisecond (and across a clock step
 * back), then 62 random bits. Ids therefore sort by creation time as plain strings.
 */
export function uuidv7Generator(now: () => number = Date.now, random: (n: number) => Uint8Array = randomBytes): () => string {
  let lastMs = -1;
  let seq = 0;
  return () => {
    let ms = Math.floor(now());
    if (ms > lastMs) {
      lastMs = ms;
      seq = 0;
    } else {
      seq++;
      if (seq > 0xfff) {
        lastMs++;
        seq = 0;
      }
      ms = lastMs;
    }
    const b = new Uint8Array(16);
    b.set(random(10), 6);
    for (let i = 5, t = ms; i >= 0; i--, t = Math.floor(t / 256)) b[i] = t % 256;
    b[6] = 0x70 | (seq >> 8);
    b[7] = seq & 0xff;
    b[8] = 0x80 | (b[8] & 0x3f);
    const hex = Buffer.from(b).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}

/** The creation time encoded in a UUIDv7 (ms since the epoch). */
export function uuidv7Time(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}
