// Where the labels of the model-change lines go on a chart, so that each can be read: a label
// sits beside its dashed line in the first row where it overlaps no other label; when the rows
// that fit in the plot are used up, every label shrinks to its number, keyed to the list of
// model changes under the charts.

/** A model-change line to label: its x pixel, its number in the list, its full text. */
export interface MarkerLine {
  px: number;
  n: number;
  text: string;
}

/** A placed label: its text, left edge, width and row (row 0 is the top of the plot). */
export interface LabelBox {
  n: number;
  text: string;
  x: number;
  width: number;
  row: number;
}

/** The plot area labels must stay within (pixels). */
export interface PlotArea {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Height of a row of labels and the space kept between two labels of a row (pixels). */
export const ROW_HEIGHT = 13;
export const LABEL_GAP = 6;

/** The label text drawn beside line `n`: "1 triage: a → b". */
export function fullLabel(m: MarkerLine): string {
  return `${m.n} ${m.text}`;
}

/**
 * Places one label per line so that no two overlap: beside the line (left of it when the right
 * side would leave the plot), in the first free row. Full labels when they fit in the rows the
 * plot has, otherwise numbers only ("1", "2", …).
 */
export function layoutMarkerLabels(lines: MarkerLine[], measure: (text: string) => number, area: PlotArea): LabelBox[] {
  const maxRows = Math.max(1, Math.floor((area.bottom - area.top - 4) / ROW_HEIGHT));
  const full = place(lines, fullLabel, measure, area);
  if (full.every((b) => b.row < maxRows)) return full;
  return place(lines, (m) => String(m.n), measure, area);
}

function place(lines: MarkerLine[], textOf: (m: MarkerLine) => string, measure: (t: string) => number, area: PlotArea): LabelBox[] {
  const rows: { from: number; to: number }[][] = [];
  const out: LabelBox[] = [];
  for (const m of [...lines].sort((a, b) => a.px - b.px || a.n - b.n)) {
    const text = textOf(m);
    const width = measure(text);
    const right = m.px + 4;
    const x = right + width > area.right && m.px - 4 - width >= area.left ? m.px - 4 - width : right;
    let row = rows.findIndex((r) => r.every((s) => x + width + LABEL_GAP <= s.from || x >= s.to + LABEL_GAP));
    if (row < 0) {
      row = rows.length;
      rows.push([]);
    }
    rows[row]?.push({ from: x, to: x + width });
    out.push({ n: m.n, text, x, width, row });
  }
  return out.sort((a, b) => a.n - b.n);
}

/** Whether two placed labels overlap (same row, intersecting spans). */
export function overlaps(a: LabelBox, b: LabelBox): boolean {
  return a.row === b.row && a.x < b.x + b.width && b.x < a.x + a.width;
}
