// Windowing math for long lists: which rows to render and which pages to fetch.

export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  total: number;
  /** Extra rows rendered above and below the visible ones. */
  overscan?: number;
}

export interface WindowRange {
  /** First row to render (inclusive). */
  start: number;
  /** Last row to render (exclusive). */
  end: number;
  /** Height of the spacer above the rendered rows. */
  padTop: number;
  /** Height of the spacer below the rendered rows. */
  padBottom: number;
}

export function virtualWindow({ scrollTop, viewportHeight, rowHeight, total, overscan = 10 }: WindowInput): WindowRange {
  const n = Math.max(0, Math.floor(total));
  if (n === 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const top = Math.max(0, scrollTop);
  const first = Math.min(n - 1, Math.floor(top / rowHeight));
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(n, first + visible + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (n - end) * rowHeight };
}

/** Page indices (of `pageSize` rows) that cover rows [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start || pageSize <= 0) return [];
  const out: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) out.push(p);
  return out;
}

/** Scroll offset that brings row `index` into view (unchanged when it already is). */
export function scrollToRow(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}

/**
 * Cached pages to drop so the cache stays bounded while scrolling far: every page more than
 * `keep` pages away from those covering rows [start, end).
 */
export function pagesToDrop(cached: Iterable<number>, start: number, end: number, pageSize: number, keep: number): number[] {
  const wanted = pagesFor(start, Math.max(end, start + 1), pageSize);
  const lo = (wanted[0] ?? 0) - keep;
  const hi = (wanted[wanted.length - 1] ?? 0) + keep;
  return [...cached].filter((p) => p < lo || p > hi);
}
