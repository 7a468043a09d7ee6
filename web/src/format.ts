export const pct = (x: number | undefined, digits = 1): string => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(digits)} %`);
export const ms = (x: number | undefined): string => (x === undefined ? '–' : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(0)} ms`);
export const num = (x: number | undefined, digits = 0): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
export const usd = (x: number | undefined): string => (x === undefined ? '–' : `$${x.toFixed(x < 1 ? 4 : 2)}`);
export const when = (iso: string | undefined): string => (iso ? new Date(iso).toLocaleString() : '–');
