import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  readonly label: string;
  readonly color: string;
  readonly dash?: readonly number[];
  readonly values: readonly (number | null)[];
}

const HEIGHT = 140;

/**
 * A small uPlot time-series chart. Created once; later refreshes only hand it new data, and it
 * follows its container's width. `now` is the latest figure, shown beside the title.
 */
/** y axis: from 0 to a little above the top (default), the whole 0–1 (`share`), or the figures' own span up to 1 (`upper`). */
type Range = 'zero' | 'share' | 'upper';
const RANGES: Record<Range, uPlot.Range.Function> = {
  zero: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1],
  share: () => [0, 1],
  upper: (_u, min) => [Math.max(0, (Number.isFinite(min) ? min : 0.9) - 0.05), 1],
};

export function Chart({ id, title, now, t, lines, format, range = 'zero' }: { id: string; title: string; now: string; t: readonly number[]; lines: readonly Line[]; format: (v: number) => string; range?: Range }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = [t as number[], ...lines.map((l) => l.values as (number | null)[])] as uPlot.AlignedData;

  useEffect(() => {
    const el = box.current!;
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        legend: { show: lines.length > 1, live: false },
        cursor: { show: true, points: { show: false } },
        scales: { x: { time: true }, y: { range: RANGES[range] } },
        axes: [{ size: 28, stroke: '#6b7385', grid: { stroke: '#eef0f4' } }, { size: 56, stroke: '#6b7385', grid: { stroke: '#eef0f4' }, values: (_u, ticks) => ticks.map(format) }],
        series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.5, dash: l.dash ? [...l.dash] : undefined, spanGaps: false, points: { show: false }, value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)) }))],
      },
      data,
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = undefined;
    };
    // the series are fixed per chart: only the data changes
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure class="chart" data-testid={`chart-${id}`} data-points={t.length}>
      <figcaption>
        {title} <b data-testid={`chart-${id}-now`}>{now}</b>
      </figcaption>
      <div ref={box} class="chart-plot" />
    </figure>
  );
}
