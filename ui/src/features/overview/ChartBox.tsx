// Chart.js on a <canvas>. Chart.js draws with the canvas API and only sets canvas sizes through
// CSSOM (element.style), which the strict CSP (`style-src 'self'`) allows; it injects no <style>.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type Plugin,
} from 'chart.js';
import { useEffect, useRef } from 'react';
import type { Marker } from '../../lib/overviewSeries';
import { chartLabel } from './chartLabels';
import { layoutMarkerLabels, ROW_HEIGHT } from './markerLabels';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyChartConfig = ChartConfiguration<any, any, any>;

export function ChartBox({ config, testId, label, tall = false }: { config: AnyChartConfig; testId: string; label: string; tall?: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el || typeof el.getContext !== 'function') return;
    let chart: Chart | null = null;
    try {
      chart = new Chart(el, config);
    } catch {
      chart = null; // no 2D context (e.g. a test DOM): the text summary still shows the numbers
    }
    return () => chart?.destroy();
  }, [config]);
  return (
    <div className={`chart-box${tall ? ' tall' : ''}`} data-testid={testId}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}

/**
 * Dashed vertical lines where a workflow's model changed, each labelled with its number in the
 * list of model changes and "workflow: from → to", laid out so no two labels overlap (numbers
 * only when the full labels do not fit; see `layoutMarkerLabels`).
 */
export function modelChangePlugin(markers: Marker[]): Plugin {
  return {
    id: 'modelChanges',
    afterDatasetsDraw(chart) {
      if (markers.length === 0) return;
      const x = chart.scales['x'];
      if (!x) return;
      const area = chart.chartArea;
      const ctx = chart.ctx;
      const step = x.getPixelForValue(1) - x.getPixelForValue(0);
      const half = Number.isFinite(step) ? step / 2 : 0;
      ctx.save();
      ctx.strokeStyle = '#b42318';
      ctx.fillStyle = '#b42318';
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.font = '11px system-ui, sans-serif';
      const lines = markers.map((m, i) => ({
        px: Math.round(x.getPixelForValue(m.index) - half) + 0.5,
        n: i + 1,
        text: chartLabel(m.label, 48),
      }));
      for (const l of lines) {
        ctx.beginPath();
        ctx.moveTo(l.px, area.top);
        ctx.lineTo(l.px, area.bottom);
        ctx.stroke();
      }
      for (const b of layoutMarkerLabels(lines, (t) => ctx.measureText(t).width, area)) {
        ctx.fillText(b.text, b.x, area.top + 12 + b.row * ROW_HEIGHT);
      }
      ctx.restore();
    },
  };
}

export const PALETTE = ['#2f5bd3', '#d97706', '#1f7a45', '#b42318', '#7c3aed', '#0e7490', '#be185d', '#4d7c0f', '#92400e', '#475569'];

export function color(i: number): string {
  return PALETTE[i % PALETTE.length] ?? '#2f5bd3';
}
