/** One selected entry: its position in the input and its score. */
export interface Scored {
  readonly index: number;
  readonly score: number;
}

/** NaN ranks as -Infinity, so a bad score never displaces a real one. */
const val = (s: number): number => (Number.isNaN(s) ? -Infinity : s);

/** True when (sa, ia) ranks strictly above (sb, ib): higher score, then lower index. */
function above(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa > sb || (sa === sb && ia < ib);
}

/**
 * The `k` best entries of `scores`, sorted by score descending, ties broken by lower index so
 * the result is deterministic. A bounded min-heap keeps the current k best with the worst at the
 * root: O(n log k) time, O(k) memory. `k` larger than `scores.length` returns every entry.
 *
 * @example topK(new Float32Array([0.1, 0.9, 0.5]), 2) // [{index:1,score:0.9},{index:2,score:0.5}]
 */
export function topK(scores: ArrayLike<number>, k: number): Scored[] {
  const n = scores.length;
  const size = Math.max(0, Math.min(Math.floor(k), n));
  if (size === 0) return [];
  const hs = new Float64Array(size); // heap scores
  const hi = new Int32Array(size); // heap indices
  let len = 0;

  const siftDown = (at: number): void => {
    const s = hs[at], ix = hi[at];
    for (;;) {
      const l = 2 * at + 1;
      if (l >= len) break;
      const r = l + 1;
      // pick the worse child: it belongs nearer the root
      const c = r < len && above(hs[l], hi[l], hs[r], hi[r]) ? r : l;
      if (!above(s, ix, hs[c], hi[c])) break;
      hs[at] = hs[c]; hi[at] = hi[c];
      at = c;
    }
    hs[at] = s; hi[at] = ix;
  };

  for (let i = 0; i < n; i++) {
    const s = val(scores[i]);
    if (len < size) {
      // sift up
      let at = len++;
      while (at > 0) {
        const p = (at - 1) >> 1;
        if (!above(hs[p], hi[p], s, i)) break;
        hs[at] = hs[p]; hi[at] = hi[p];
        at = p;
      }
      hs[at] = s; hi[at] = i;
    } else if (above(s, i, hs[0], hi[0])) {
      hs[0] = s; hi[0] = i;
      siftDown(0);
    }
  }

  const out: Scored[] = new Array(len);
  for (let j = 0; j < len; j++) out[j] = { index: hi[j], score: scores[hi[j]] };
  return out.sort((a, b) => (above(val(a.score), a.index, val(b.score), b.index) ? -1 : 1));
}
