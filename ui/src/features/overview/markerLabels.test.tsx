// Model-change labels on the Overview charts: close changes get labels that do not overlap, and
// the list under the charts names every change in full with the number its label shows.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Marker } from '../../lib/overviewSeries';
import { ModelChangeList } from './OverviewView';
import { layoutMarkerLabels, overlaps, type LabelBox, type MarkerLine } from './markerLabels';

/** 6 px per character, as an 11 px font measures roughly. */
const measure = (t: string) => t.length * 6;
const AREA = { left: 40, right: 640, top: 10, bottom: 230 };

function noOverlap(boxes: LabelBox[]) {
  for (const a of boxes) for (const b of boxes) if (a !== b) expect(overlaps(a, b), `${a.text} / ${b.text}`).toBe(false);
}

describe('model-change labels', () => {
  it('two changes a day apart get labels that do not overlap, both in full', () => {
    const lines: MarkerLine[] = [
      { px: 300.5, n: 1, text: 'support_triage: gpt-4.1-mini → claude-sonnet-4' },
      { px: 312.5, n: 2, text: 'refund_request: claude-sonnet-4 → gpt-4.1-mini' },
    ];
    const boxes = layoutMarkerLabels(lines, measure, AREA);
    expect(boxes.map((b) => b.text)).toEqual([`1 ${lines[0]?.text}`, `2 ${lines[1]?.text}`]);
    noOverlap(boxes);
    expect(new Set(boxes.map((b) => b.row)).size).toBe(2);
  });

  it('the same day, and a change near the right edge, stay apart and inside the plot', () => {
    const lines: MarkerLine[] = [
      { px: 630.5, n: 1, text: 'a: m1 → m2' },
      { px: 630.5, n: 2, text: 'b: m1 → m2' },
      { px: 100.5, n: 3, text: 'c: m1 → m2' },
    ];
    const boxes = layoutMarkerLabels(lines, measure, AREA);
    noOverlap(boxes);
    for (const b of boxes) {
      expect(b.x).toBeGreaterThanOrEqual(AREA.left);
      expect(b.x + b.width).toBeLessThanOrEqual(AREA.right);
    }
    // Far apart labels share the top row.
    expect(boxes.find((b) => b.n === 3)?.row).toBe(0);
  });

  it('many close changes in a short plot shrink to their numbers, still apart', () => {
    const lines: MarkerLine[] = Array.from({ length: 12 }, (_, i) => ({ px: 200.5 + i * 10, n: i + 1, text: `workflow_${i}: model-a → model-b` }));
    const short = { ...AREA, bottom: AREA.top + 60 };
    const boxes = layoutMarkerLabels(lines, measure, short);
    expect(boxes.map((b) => b.text)).toEqual(lines.map((l) => String(l.n)));
    noOverlap(boxes);
  });

  it('the list under the charts names each change in full with its number', () => {
    const day = Date.UTC(2026, 9, 15);
    const markers: Marker[] = [
      { index: 3, day, workflow: 'support_triage', from: 'gpt-4.1-mini', to: 'claude-sonnet-4', label: '' },
      { index: 4, day: day + 86_400_000, workflow: 'refund_request', from: 'claude-sonnet-4', to: 'gpt-4.1-mini', label: '' },
    ];
    const html = renderToStaticMarkup(<ModelChangeList markers={markers} />);
    const items = html.split('data-testid="model-change"').slice(1);
    expect(items).toHaveLength(2);
    expect(items[0]).toContain('data-n="1"');
    expect(items[0]).toContain('support_triage');
    expect(items[0]).toContain('gpt-4.1-mini');
    expect(items[1]).toContain('data-n="2"');
    expect(items[1]).toContain('refund_request');
    expect(renderToStaticMarkup(<ModelChangeList markers={[]} />)).toBe('');
  });
});
