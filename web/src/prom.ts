/** One sample of the Prometheus text exposition format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

/** Parses `/metrics` text: comments and blank lines skipped, label values unescaped. */
export function parseProm(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    out.push({ name: m[1], labels, value });
  }
  return out;
}

type Filter = Readonly<Record<string, string | ((v: string) => boolean)>>;

function matches(s: Sample, f: Filter): boolean {
  for (const [k, want] of Object.entries(f)) {
    const v = s.labels[k] ?? '';
    if (typeof want === 'function' ? !want(v) : v !== want) return false;
  }
  return true;
}

/** Sum of the samples named `name` whose labels match `filter`. */
export function total(samples: readonly Sample[], name: string, filter: Filter = {}): number {
  let t = 0;
  for (const s of samples) if (s.name === name && matches(s, filter)) t += s.value;
  return t;
}

/** Sums by one label, e.g. classifications by route. */
export function byLabel(samples: readonly Sample[], name: string, label: string, filter: Filter = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) if (s.name === name && matches(s, filter)) out[s.labels[label] ?? ''] = (out[s.labels[label] ?? ''] ?? 0) + s.value;
  return out;
}

/** Cumulative histogram buckets (le → count) of `name`_bucket, summed over matching series. */
export function buckets(samples: readonly Sample[], name: string, filter: Filter = {}): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !matches(s, filter)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

/**
 * The q-quantile of the observations between two scrapes (bucket deltas), interpolated linearly
 * inside the bucket as Prometheus' histogram_quantile does; undefined without observations.
 */
export function quantileBetween(before: Map<number, number>, after: Map<number, number>, q: number): number | undefined {
  const les = [...after.keys()].sort((a, b) => a - b);
  const counts = les.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const n = counts[counts.length - 1] ?? 0;
  if (!(n > 0)) return undefined;
  const rank = q * n;
  for (let i = 0; i < les.length; i++) {
    if (counts[i] >= rank) {
      const lo = i === 0 ? 0 : les[i - 1];
      const hi = les[i];
      if (hi === Infinity) return lo;
      const below = i === 0 ? 0 : counts[i - 1];
      const inBucket = counts[i] - below;
      return inBucket > 0 ? lo + ((hi - lo) * (rank - below)) / inBucket : hi;
    }
  }
  return les[les.length - 2];
}
