// Pages through the run list in chunks of PAGE as rows scroll into view. Pages are cached per
// query, at most KEEP pages either side of the view (scrolling 100,000 rows keeps memory flat);
// a store change (sync) refreshes the pages in view without clearing the table.
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { listRuns, type RunQuery, type RunSummary } from '../../api';
import { useReportError } from '../../app/errors';
import { useStore } from '../../app/store';
import { pagesFor, pagesToDrop } from '../../lib/virtual';

export const PAGE = 200;
/** Pages kept cached either side of the ones in view. */
export const KEEP = 3;
/** Wait after a store change before refreshing the rows in view, so a burst costs one query. */
export const REFRESH_DELAY_MS = 300;

/**
 * How long to wait before refreshing after a store change: at once while the list has no rows
 * yet (the first synced page of a fresh store shows without delay), else REFRESH_DELAY_MS.
 */
export function refreshDelay(total: number | null): number {
  return total === null || total === 0 ? 0 : REFRESH_DELAY_MS;
}

interface Cache {
  key: string;
  epoch: number;
  pages: Map<number, RunSummary[]>;
  fresh: Set<number>;
  failed: Set<number>;
  inflight: Set<string>;
  total: number | null;
  capped: boolean;
  searchPending: number;
  /** Exact row count once a short page was seen. */
  exactEnd: number | null;
  /** End of the farthest row loaded so far (kept when its page is dropped). */
  reached: number;
  loadedAt: Date | null;
  range: [number, number];
}

function emptyCache(key: string): Cache {
  return {
    key,
    epoch: 0,
    pages: new Map(),
    fresh: new Set(),
    failed: new Set(),
    inflight: new Set(),
    total: null,
    capped: false,
    searchPending: 0,
    exactEnd: null,
    reached: 0,
    loadedAt: null,
    range: [0, 60],
  };
}

export interface RunPages {
  /** Rows the table should be tall enough for (grows past the count cap as pages load). */
  rowCount: number;
  rowAt: (i: number) => RunSummary | undefined;
  /** Asks for the pages covering rows [start, end). */
  ensure: (start: number, end: number) => void;
  /** "1,234", or "1,000+" when counting stopped at the cap (RUN_COUNT_CAP); null before the first page. */
  totalLabel: string | null;
  total: number | null;
  capped: boolean;
  /** Runs not yet searchable (only when searching). */
  searchPending: number;
  loadedAt: Date | null;
  loading: boolean;
}

export function useRunPages(query: RunQuery): RunPages {
  const key = JSON.stringify(query);
  const report = useReportError();
  const { version } = useStore();
  const cache = useRef<Cache>(emptyCache(key));
  const [, force] = useReducer((x: number) => x + 1, 0);
  const queryRef = useRef(query);
  queryRef.current = query;

  const fetchPage = useCallback(
    (p: number) => {
      const c = cache.current;
      const tag = `${c.epoch}:${p}`;
      if (c.inflight.has(tag)) return;
      c.inflight.add(tag);
      const { key: k, epoch } = c;
      listRuns({ ...queryRef.current, limit: PAGE, offset: p * PAGE })
        .then((page) => {
          const now = cache.current;
          if (now.key !== k) return;
          now.pages.set(p, page.items);
          now.reached = Math.max(now.reached, p * PAGE + page.items.length);
          if (now.epoch === epoch) now.fresh.add(p);
          now.failed.delete(p);
          now.total = page.total;
          now.capped = page.total_capped;
          now.searchPending = page.search_pending ?? 0;
          if (page.items.length < PAGE) now.exactEnd = p * PAGE + page.items.length;
          else if (now.exactEnd !== null && now.exactEnd <= (p + 1) * PAGE) now.exactEnd = null;
          now.loadedAt = new Date();
          force();
        })
        .catch((e) => {
          const now = cache.current;
          if (now.key !== k) return;
          now.failed.add(p);
          report(e, 'list_runs');
          force();
        })
        .finally(() => cache.current.inflight.delete(tag));
    },
    [report],
  );

  const ensure = useCallback(
    (start: number, end: number) => {
      const c = cache.current;
      c.range = [start, end];
      for (const p of pagesToDrop(c.pages.keys(), start, end, PAGE, KEEP)) {
        c.pages.delete(p);
        c.fresh.delete(p);
      }
      const wanted = pagesFor(start, Math.max(end, start + 1), PAGE);
      for (const p of wanted) {
        if (c.failed.has(p)) continue;
        if (!c.fresh.has(p)) fetchPage(p);
      }
    },
    [fetchPage],
  );

  // New query: start over.
  useEffect(() => {
    if (cache.current.key !== key || cache.current.total === null) {
      const range = cache.current.range;
      cache.current = emptyCache(key);
      cache.current.range = [0, Math.max(60, range[1] - range[0])];
      force();
    }
    ensure(...cache.current.range);
  }, [key, ensure]);

  // Store changed (a sync applied a page): refresh what is in view, a little later so a burst
  // of changes costs one query (at once while the list is still empty).
  const firstVersion = useRef(version);
  useEffect(() => {
    if (version === firstVersion.current) return;
    const t = setTimeout(() => {
      const c = cache.current;
      c.epoch += 1;
      c.fresh.clear();
      c.failed.clear();
      ensure(...c.range);
    }, refreshDelay(cache.current.total));
    return () => clearTimeout(t);
  }, [version, ensure]);

  const c = cache.current;
  const loadedEnd = c.reached;
  let rowCount = 0;
  if (c.total !== null) {
    if (!c.capped) rowCount = c.exactEnd !== null && c.exactEnd > c.total ? c.exactEnd : c.total;
    else rowCount = c.exactEnd ?? Math.max(c.total, loadedEnd + PAGE);
  }
  const totalLabel =
    c.total === null ? null : c.capped ? (c.exactEnd !== null ? c.exactEnd.toLocaleString('en-US') : `${c.total.toLocaleString('en-US')}+`) : c.total.toLocaleString('en-US');

  const rowAt = useCallback((i: number) => cache.current.pages.get(Math.floor(i / PAGE))?.[i % PAGE], []);

  return {
    rowCount,
    rowAt,
    ensure,
    totalLabel,
    total: c.total,
    capped: c.capped,
    searchPending: c.searchPending,
    loadedAt: c.loadedAt,
    loading: c.inflight.size > 0,
  };
}
