import type { ReliabilityBin } from '../../core/eval/index.js';
import { escapeHtml as esc } from './escape.js';

/*
 * Tiny inline-SVG charts for the HTML report: no library, no script, no external resource. Every
 * text goes through escapeHtml; every chart is an <svg id=…> with a <title> for screen readers.
 */

export const COLORS = Object.freeze({ a: '#8a8f98', b: '#2563eb', good: '#16a34a', bad: '#dc2626', grid: '#e5e7eb', ink: '#374151' });

const W = 560;
const M = { l: 56, r: 20, t: 16, b: 46 };
/** Coordinates with two decimals keep the markup small. */
const c = (x: number) => Number(x.toFixed(2));

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

interface Frame {
  readonly x: (v: number) => number;
  readonly y: (v: number) => number;
  readonly h: number;
  readonly markup: string;
}

/** Plot area, grid, ticks and axis labels for x in [0, xMax] and y in [0, yMax]. */
function frame(o: { xMax: number; yMax: number; xLabel: string; yLabel: string; fmt: (v: number) => string; h?: number }): Frame {
  const h = o.h ?? 320;
  const pw = W - M.l - M.r;
  const ph = h - M.t - M.b;
  const x = (v: number) => c(M.l + (v / o.xMax) * pw);
  const y = (v: number) => c(M.t + ph - (v / o.yMax) * ph);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const xv = (o.xMax * i) / 4;
    const yv = (o.yMax * i) / 4;
    parts.push(`<line x1="${x(xv)}" y1="${M.t}" x2="${x(xv)}" y2="${M.t + ph}" stroke="${COLORS.grid}"/>`);
    parts.push(`<line x1="${M.l}" y1="${y(yv)}" x2="${M.l + pw}" y2="${y(yv)}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${x(xv)}" y="${M.t + ph + 16}" text-anchor="middle" class="tick">${esc(o.fmt(xv))}</text>`);
    parts.push(`<text x="${M.l - 6}" y="${c(y(yv) + 4)}" text-anchor="end" class="tick">${esc(o.fmt(yv))}</text>`);
  }
  parts.push(`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="${COLORS.ink}" stroke-width="0.5"/>`);
  parts.push(`<text x="${c(M.l + pw / 2)}" y="${h - 8}" text-anchor="middle" class="axis">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${c(M.t + ph / 2)}) rotate(-90)" text-anchor="middle" class="axis">${esc(o.yLabel)}</text>`);
  return { x, y, h, markup: parts.join('') };
}

function svg(id: string, title: string, h: number, body: string): string {
  return `<svg id="${esc(id)}" class="chart" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-labelledby="${esc(id)}-title"><title id="${esc(id)}-title">${esc(title)}</title>${body}</svg>`;
}

function legend(series: readonly Series[], x: number, y: number): string {
  return series
    .map((s, i) => `<g transform="translate(${x} ${y + i * 16})"><rect width="12" height="3" y="-4" fill="${s.color}"/><text x="18" y="0" class="tick">${esc(s.name)}</text></g>`)
    .join('');
}

const pctTick = (v: number) => `${Math.round(v * 100)}%`;

/** Risk (error rate) against coverage, one line per series; `marker` = the bundle's operating point. */
export function riskCoverageChart(id: string, series: readonly Series[], marker?: { coverage: number; risk: number; label: string }): string {
  const maxRisk = Math.max(0.05, ...series.flatMap((s) => s.points.map((p) => p[1])), marker?.risk ?? 0);
  const f = frame({ xMax: 1, yMax: Math.min(1, Math.ceil(maxRisk * 20) / 20), xLabel: 'coverage (share of messages answered, most confident first)', yLabel: 'error rate on answered', fmt: pctTick });
  const lines = series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.points.map(([x, y]) => `${f.x(x)},${f.y(y)}`).join(' ')}"><title>${esc(s.name)}</title></polyline>`);
  const mk = marker
    ? `<circle cx="${f.x(marker.coverage)}" cy="${f.y(marker.risk)}" r="5" fill="${COLORS.bad}"><title>${esc(marker.label)}</title></circle>`
    : '';
  return svg(id, 'Risk–coverage curve', f.h, f.markup + lines.join('') + mk + legend(series, M.l + 10, M.t + 14));
}

/** Accuracy per confidence bin as bars, against the diagonal of perfect calibration. */
export function reliabilityChart(id: string, bins: readonly ReliabilityBin[]): string {
  const f = frame({ xMax: 1, yMax: 1, xLabel: 'confidence', yLabel: 'accuracy', fmt: pctTick });
  const bars = bins
    .filter((b) => b.count > 0 && b.accuracy !== null)
    .map((b) => {
      const tip = `confidence ${pctTick(b.lo)}–${pctTick(b.hi)}: ${b.count} examples, mean confidence ${((b.meanConfidence ?? 0) * 100).toFixed(1)}%, accuracy ${((b.accuracy ?? 0) * 100).toFixed(1)}%`;
      return `<rect class="bin" x="${f.x(b.lo) + 1}" y="${f.y(b.accuracy!)}" width="${c(f.x(b.hi) - f.x(b.lo) - 2)}" height="${c(f.y(0) - f.y(b.accuracy!))}" fill="${COLORS.b}" fill-opacity="0.75"><title>${esc(tip)}</title></rect>`;
    });
  const diag = `<line x1="${f.x(0)}" y1="${f.y(0)}" x2="${f.x(1)}" y2="${f.y(1)}" stroke="${COLORS.bad}" stroke-dasharray="5 4"><title>perfect calibration</title></line>`;
  return svg(id, 'Reliability diagram', f.h, f.markup + bars.join('') + diag);
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
  readonly color?: string;
  readonly tip?: string;
}

/** Horizontal bars, one row each, from 0 to `max`. */
export function barChart(id: string, title: string, bars: readonly Bar[], max: number, lw = 190): string {
  const row = 22;
  const chars = Math.floor(lw / 6.6);
  const h = M.t + bars.length * row + 10;
  const pw = W - lw - 70;
  const body = bars.map((b, i) => {
    const y = M.t + i * row;
    const w = c(max > 0 ? (Math.max(0, b.value) / max) * pw : 0);
    const name = b.label.length > chars ? `${b.label.slice(0, chars - 1)}…` : b.label;
    return (
      `<g class="bar"><title>${esc(b.tip ?? `${b.label}: ${b.text}`)}</title>` +
      `<text x="${lw - 6}" y="${y + 15}" text-anchor="end" class="tick">${esc(name)}</text>` +
      `<rect x="${lw}" y="${y + 3}" width="${w}" height="${row - 6}" fill="${b.color ?? COLORS.b}"/>` +
      `<text x="${c(lw + w + 6)}" y="${y + 15}" class="tick">${esc(b.text)}</text></g>`
    );
  });
  return svg(id, title, h, body.join(''));
}

/** Bars left (negative, red) or right (positive, green) of a zero line, for B − A deltas. */
export function deltaChart(id: string, title: string, bars: readonly Bar[]): string {
  const row = 22;
  const lw = 190;
  const h = M.t + bars.length * row + 10;
  // 70 px each side for the value text
  const half = (W - lw - 140) / 2;
  const zero = lw + 70 + half;
  const max = Math.max(0.01, ...bars.map((b) => Math.abs(b.value)));
  const body = bars.map((b, i) => {
    const y = M.t + i * row;
    const w = c((Math.abs(b.value) / max) * half);
    const x = b.value >= 0 ? zero : c(zero - w);
    const tx = b.value >= 0 ? c(zero + w + 4) : c(zero - w - 4);
    const name = b.label.length > 28 ? `${b.label.slice(0, 27)}…` : b.label;
    return (
      `<g class="bar"><title>${esc(b.tip ?? `${b.label}: ${b.text}`)}</title>` +
      `<text x="${lw - 6}" y="${y + 15}" text-anchor="end" class="tick">${esc(name)}</text>` +
      `<rect x="${x}" y="${y + 3}" width="${w}" height="${row - 6}" fill="${b.value >= 0 ? COLORS.good : COLORS.bad}"/>` +
      `<text x="${tx}" y="${y + 15}" text-anchor="${b.value >= 0 ? 'start' : 'end'}" class="tick">${esc(b.text)}</text></g>`
    );
  });
  const axis = `<line x1="${zero}" y1="${M.t}" x2="${zero}" y2="${h - 6}" stroke="${COLORS.ink}"/>`;
  return svg(id, title, h, axis + body.join(''));
}
