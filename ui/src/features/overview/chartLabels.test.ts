// Chart labels from backend text are clipped before Chart.js draws them.
import { Legend, type Chart, type LegendItem } from 'chart.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LEGEND_MAX, codePointLength } from '../../lib/clip';
import { chartLabel, clippedCategoryTick, clippedLegendLabels } from './chartLabels';

const WF = `wf_${'x'.repeat(200_000)}`;

afterEach(() => vi.restoreAllMocks());

describe('chart labels', () => {
  it('the legend callback clips the series names Chart.js would draw, keeping the rest of each item', () => {
    const items: LegendItem[] = [
      { text: WF, fillStyle: '#2f5bd3', datasetIndex: 0 },
      { text: 'support_triage', fillStyle: '#d97706', datasetIndex: 1 },
    ];
    vi.spyOn((Legend.defaults as { labels: { generateLabels: (c: Chart) => LegendItem[] } }).labels, 'generateLabels').mockReturnValue(items);
    const out = clippedLegendLabels({} as Chart);
    expect(out).toHaveLength(2);
    expect(codePointLength(out[0]?.text ?? '')).toBe(LEGEND_MAX);
    expect(out[0]?.text.endsWith('…')).toBe(true);
    expect(out[0]?.fillStyle).toBe('#2f5bd3');
    expect(out[0]?.datasetIndex).toBe(0);
    expect(out[1]?.text).toBe('support_triage');
  });

  it('category ticks and tooltip names are clipped, hidden characters spelled out', () => {
    const tick = clippedCategoryTick.call({ getLabelForValue: () => WF }, 0);
    expect(codePointLength(tick)).toBe(LEGEND_MAX);
    expect(chartLabel('a\u202Eb')).toBe('a⟦U+202E⟧b');
    expect(codePointLength(chartLabel(WF, 120))).toBe(120);
    expect(chartLabel(undefined)).toBe('');
  });
});
