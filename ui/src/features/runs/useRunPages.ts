// Pages through the run list in chunks of PAGE as rows scroll into view. Pages are cached per
// query, at most KEEP pages either side of the view (scrolling 100,000 rows keeps memory flat);
// a store change (sync) refreshes the pages in view without clearing the table.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { listRuns, type RunPage, type RunQuery, type RunSummary } from '../../api';
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
  /** The first page, asked for before the list mounted (see `prefetchFirstPage`), not yet answered. */
  early: Promise<RunPage> | null;
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
    early: null,
  };
}

/** Records page `p` of the list (answered for `epoch`) in `c`. */
function applyPage(c: Cache, p: number, page: RunPage, epoch: number) {
  c.pages.set(p, page.items);
  c.reached = Math.max(c.reached, p * PAGE + page.items.length);
  if (c.epoch === epoch) c.fresh.add(p);
  c.failed.delete(p);
  c.total = page.total;
  c.capped = page.total_capped;
  c.searchPending = page.search_pending ?? 0;
  if (page.items.length < PAGE) c.exactEnd = p * PAGE + page.items.length;
  else if (c.exactEnd !== null && c.exactEnd <= (p + 1) * PAGE) c.exactEnd = null;
  c.loadedAt = new Date();
}

/** The landing list's first page, asked for before the app's first render. */
let early: { key: string; page: RunPage | null; pending: Promise<RunPage> } | null = null;

/**
 * Asks for the first page of `query` at once, before the list mounts, and resolves when it has
 * answered (or failed): the app awaits it, briefly, before its first render, so the first paint
 * already holds the rows. The list takes the page (or the request) instead of asking again.
 */
export function prefetchFirstPage(query: RunQuery): Promise<void> {
  const pending = listRuns({ ...query, limit: PAGE, offset: 0 });
  const slot = { key: JSON.stringify(query), page: null as RunPage | null, pending };
  early = slot;
  return pending.then(
    (page) => {
      slot.page = page;
    },
    () => undefined, // the list asks again and reports the error
  );
}

/** A cache for `key`, holding the prefetched first page (answered or on its way) when it is for `key`. */
function startCache(key: string): Cache {
  const c = emptyCache(key);
  const e = early;
  early = null;
  if (e && e.key === key) {
    if (e.page) applyPage(c, 0, e.page, c.epoch);
    else c.early = e.pending;
  }
  return c;
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
  const [first] = useState(() => startCache(key));
  const cache = useRef<Cache>(first);
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
      // The prefetched first page, when it is still on its way, instead of asking again.
      const request = p === 0 && c.early ? c.early : listRuns({ ...queryRef.current, limit: PAGE, offset: p * PAGE });
      c.early = null;
      request
        .then((page) => {
          const now = cache.current;
          if (now.key !== k) return;
          applyPage(now, p, page, epoch);
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
      const { range, early: pending } = cache.current;
      const sameKey = cache.current.key === key;
      cache.current = emptyCache(key);
      if (sameKey) cache.current.early = pending;
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
