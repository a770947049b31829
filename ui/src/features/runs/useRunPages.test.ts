// The run list's refresh after a store change: immediate while empty, debounced once it has rows.
import { describe, expect, it } from 'vitest';
import { REFRESH_DELAY_MS, refreshDelay } from './useRunPages';

describe('refreshDelay', () => {
  it('refreshes at once while the list has no rows (first page of a fresh store)', () => {
    expect(refreshDelay(null)).toBe(0);
    expect(refreshDelay(0)).toBe(0);
  });
  it('debounces refreshes once rows are shown, so a burst of sync pages costs one query', () => {
    expect(REFRESH_DELAY_MS).toBeGreaterThan(0);
    expect(refreshDelay(1)).toBe(REFRESH_DELAY_MS);
    expect(refreshDelay(1000)).toBe(REFRESH_DELAY_MS);
  });
});
