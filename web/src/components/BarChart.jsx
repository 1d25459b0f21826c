// A bar chart with uPlot: one bar per label, values in percent (null: undefined, no bar), the
// value written above each bar.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const FONT = '12px "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

export function BarChart({ labels, values, title, max = 100, colour = '#2563eb', height = 260, testid }) {
  const ref = useRef(null);
  const key = JSON.stringify([labels, values, title, max, colour]);

  useEffect(() => {
    const el = ref.current;
    if (!el || !labels.length) return undefined;
    const n = labels.length;
    const xs = labels.map((_, i) => i);
    const ys = values.map((v) => (Number.isFinite(v) ? v : null));
    const rotate = n > 6;
    const width = () => Math.max(320, el.clientWidth || 640);
    const opts = {
      title,
      width: width(),
      height,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false },
      scales: {
        x: { time: false, range: () => [-0.5, n - 0.5] },
        y: { range: () => [0, max] },
      },
      axes: [
        {
          font: FONT,
          rotate: rotate ? -30 : 0,
          size: rotate ? 70 : 40,
          grid: { show: false },
          splits: () => xs,
          values: (u, splits) => splits.map((i) => labels[i] ?? ''),
        },
        { font: FONT, size: 44, values: (u, splits) => splits.map((v) => `${v}`) },
      ],
      series: [
        {},
        {
          label: title,
          stroke: colour,
          fill: `${colour}cc`,
          width: 0,
          points: { show: false },
          paths: uPlot.paths.bars({ size: [0.6, 80], align: 0 }),
        },
      ],
      hooks: {
        draw: [
          (u) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.font = `${Math.round(11 * uPlot.pxRatio)}px sans-serif`;
            ctx.fillStyle = '#111827';
            ctx.textAlign = 'center';
            u.data[1].forEach((v, i) => {
              if (v === null || v === undefined) return;
              const x = u.valToPos(i, 'x', true);
              const y = u.valToPos(v, 'y', true);
              ctx.fillText(v.toFixed(1), x, y - 4 * uPlot.pxRatio);
            });
            ctx.restore();
          },
        ],
      },
    };
    const plot = new uPlot(opts, [xs, ys], el);
    const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(() => plot.setSize({ width: width(), height })) : null;
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      plot.destroy();
    };
  }, [key, height]);

  return <div class="chart" ref={ref} data-testid={testid} data-bars={labels.length} />;
}
