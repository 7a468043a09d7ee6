/**
 * The largest share of the scored messages that their most confident ones can be while at least
 * `target` of them are right: the coverage of a confidence cut chosen on these messages themselves
 * (ties taken together), which no calibrated cut can beat on them.
 */
export function hindsightCoverage(scored: readonly { confidence: number; right: boolean }[], target: number): number {
  const sorted = [...scored].sort((a, b) => b.confidence - a.confidence);
  let right = 0;
  let best = 0;
  sorted.forEach((s, i) => {
    right += s.right ? 1 : 0;
    // only where the next message is less confident: ties are taken together
    if ((i + 1 === sorted.length || sorted[i + 1].confidence < s.confidence) && right >= target * (i + 1)) best = i + 1;
  });
  return sorted.length ? best / sorted.length : 0;
}
