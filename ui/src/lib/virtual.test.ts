import { describe, expect, it } from 'vitest';
import { pagesFor, pagesToDrop, scrollToRow, virtualWindow } from './virtual';

describe('virtualWindow', () => {
  it('renders the visible rows plus overscan at the top', () => {
    expect(virtualWindow({ scrollTop: 0, viewportHeight: 300, rowHeight: 30, total: 10_000, overscan: 5 })).toEqual({
      start: 0,
      end: 16,
      padTop: 0,
      padBottom: (10_000 - 16) * 30,
    });
  });

  it('follows the scroll position in the middle of a long list', () => {
    const w = virtualWindow({ scrollTop: 30_000, viewportHeight: 300, rowHeight: 30, total: 1_000_000, overscan: 5 });
    expect(w.start).toBe(995);
    expect(w.end).toBe(1016);
    expect(w.padTop + (w.end - w.start) * 30 + w.padBottom).toBe(30_000_000);
  });

  it('clamps at the end and for empty or odd input', () => {
    const w = virtualWindow({ scrollTop: 99_999, viewportHeight: 300, rowHeight: 30, total: 100, overscan: 5 });
    expect(w.end).toBe(100);
    expect(w.padBottom).toBe(0);
    expect(w.start).toBe(94);
    expect(virtualWindow({ scrollTop: 0, viewportHeight: 300, rowHeight: 30, total: 0 })).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
    expect(virtualWindow({ scrollTop: -50, viewportHeight: 60, rowHeight: 30, total: 3, overscan: 0 })).toEqual({
      start: 0,
      end: 3,
      padTop: 0,
      padBottom: 0,
    });
  });
});

describe('pagesFor', () => {
  it('lists the pages of 200 covering a row range', () => {
    expect(pagesFor(0, 30, 200)).toEqual([0]);
    expect(pagesFor(190, 230, 200)).toEqual([0, 1]);
    expect(pagesFor(400, 400, 200)).toEqual([]);
    expect(pagesFor(9_990, 10_010, 200)).toEqual([49, 50]);
  });
});

describe('scrollToRow', () => {
  it('scrolls only as far as needed', () => {
    expect(scrollToRow(0, 0, 300, 30)).toBe(0);
    expect(scrollToRow(5, 0, 300, 30)).toBe(0);
    expect(scrollToRow(10, 0, 300, 30)).toBe(30);
    expect(scrollToRow(2, 300, 300, 30)).toBe(60);
  });
});

describe('pagesToDrop', () => {
  it('drops pages more than `keep` away from the view', () => {
    expect(pagesToDrop([0, 1, 2, 3, 9, 10, 11, 20], 2_000, 2_050, 200, 1)).toEqual([0, 1, 2, 3, 20]);
    expect(pagesToDrop([0, 1], 0, 60, 200, 3)).toEqual([]);
  });

  it('keeps the cache bounded while scrolling 100,000 rows down and back', () => {
    const cache = new Set<number>();
    let most = 0;
    const visit = (top: number) => {
      const w = virtualWindow({ scrollTop: top * 28, viewportHeight: 700, rowHeight: 28, total: 100_000 });
      for (const p of pagesToDrop(cache, w.start, w.end, 200, 3)) cache.delete(p);
      for (const p of pagesFor(w.start, w.end, 200)) cache.add(p);
      most = Math.max(most, cache.size);
    };
    for (let row = 0; row < 100_000; row += 150) visit(row);
    for (let row = 100_000; row >= 0; row -= 150) visit(row);
    // Two pages in view at most, three either side.
    expect(most).toBeLessThanOrEqual(8);
    expect(cache.has(0)).toBe(true);
  });
});
