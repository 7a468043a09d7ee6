import { meanNll } from './loss.js';

/**
 * Temperature scaling (Guo et al., 2017): the T > 0 that minimises validation NLL of
 * softmax(z / T). One parameter, so a golden-section search over log T is exact enough.
 */
export function fitTemperature(logits: Float32Array, classes: number, y: ArrayLike<number>): number {
  const f = (logT: number) => meanNll(logits, classes, y, Math.exp(logT));
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = hi - g * (hi - lo);
  let d = lo + g * (hi - lo);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < 60 && hi - lo > 1e-5; it++) {
    if (fc < fd) {
      hi = d;
      d = c;
      fd = fc;
      c = hi - g * (hi - lo);
      fc = f(c);
    } else {
      lo = c;
      c = d;
      fc = fd;
      d = lo + g * (hi - lo);
      fd = f(d);
    }
  }
  return Math.exp((lo + hi) / 2);
}
