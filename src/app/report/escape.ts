/** Text for HTML element content and attribute values (double- or single-quoted). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Text for one Markdown table cell: no line breaks, no table pipes, no markup or raw HTML. */
export function mdCell(s: string, max = 120): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return cut.replace(/[\\`*_[\]<>|&~#]/g, '\\$&');
}

/** "0.0634 USD": money with enough digits to be read at cent fractions. */
export function formatMoney(x: number, currency: string): string {
  const v = x === 0 ? '0' : x >= 1 ? x.toFixed(2) : x.toPrecision(3);
  return `${v} ${currency}`;
}

export function formatMs(x: number): string {
  return x >= 100 ? `${x.toFixed(0)} ms` : x >= 1 ? `${x.toFixed(1)} ms` : `${x.toFixed(3)} ms`;
}
