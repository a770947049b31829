// Chart labels come from backend text (workflow, model and backend names). Chart.js draws them
// on the canvas at whatever length they have, so a 200,000-character workflow name would push
// the plot out of its box: legends, category ticks and tooltips get clipped text here.
import { Legend, type Chart, type LegendItem } from 'chart.js';
import { LEGEND_MAX, optionLabel } from '../../lib/clip';

/** Most characters of a series name in a tooltip line (the legend shows fewer). */
export const TOOLTIP_LABEL_MAX = 120;

/** A chart label for untrusted `text`: hidden characters spelled out, cut to `max`. */
export function chartLabel(text: string | null | undefined, max = LEGEND_MAX): string {
  return optionLabel(String(text ?? ''), max);
}

/** Legend items with their text clipped (everything else as Chart.js made it). */
export function clipLegendItems(items: LegendItem[], max = LEGEND_MAX): LegendItem[] {
  return items.map((it) => ({ ...it, text: chartLabel(it.text, max) }));
}

/**
 * `plugins.legend.labels.generateLabels` for charts whose series are named by backend text:
 * Chart.js's own legend items, their text clipped.
 */
export function clippedLegendLabels(chart: Chart): LegendItem[] {
  const generate = (Legend.defaults as { labels: { generateLabels: (c: Chart) => LegendItem[] } }).labels.generateLabels;
  return clipLegendItems(generate(chart));
}

/** `ticks.callback` for a category axis whose labels are backend text (e.g. backend names). */
export function clippedCategoryTick(this: { getLabelForValue(v: number): string }, value: number | string): string {
  return chartLabel(this.getLabelForValue(Number(value)));
}
