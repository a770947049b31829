import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { golden, listFacets } from '../../api';
import { useReportError } from '../../app/errors';
import { SafeText } from '../../components/SafeText';
import { openedFromList, type Navigate } from '../../app/route';
import { useStore } from '../../app/store';
import { useLoad } from '../../app/useLoad';
import { SyncButton } from '../../components/SyncButton';
import { ViewHeader } from '../../components/ViewHeader';
import { searchTerms } from '../../lib/searchHighlight';
import { filtersToQuery, type Route, type RunFilters as RunFilterState } from '../../lib/viewState';
import { RunDetail } from './RunDetail';
import { RunFilters } from './RunFilters';
import { RunTable, selectedRefs, selectionKey, toggled, type TableViewState } from './RunTable';
import { useRunPages } from './useRunPages';

export interface RunRef {
  backendId: string;
  runId: string;
}

/** Where the list was when a run was opened, so "Back" lands on the same row. */
let memory: { key: string; state: TableViewState; runId: string | null } | null = null;
/** "/" was pressed in the run detail: focus the search box once the list is back. */
let focusSearchOnMount = false;

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

export function RunsView({ route, navigate }: { route: Route; navigate: Navigate }) {
  const selected = route.run;
  const terms = useMemo(() => searchTerms(route.filters.search), [route.filters.search]);
  if (selected) {
    return (
      <RunDetail
        backendId={selected.backendId}
        runId={selected.runId}
        searchTerms={terms}
        onBack={() => {
          if (openedFromList()) window.history.back();
          else navigate({ ...route, run: null });
        }}
        onOpenRun={(backendId, runId) => navigate({ ...route, run: { backendId, runId } })}
        onSearch={() => {
          focusSearchOnMount = true;
          navigate({ ...route, run: null });
        }}
      />
    );
  }
  return <RunList route={route} navigate={navigate} />;
}

function RunList({ route, navigate }: { route: Route; navigate: Navigate }) {
  const { backends } = useStore();
  const filters = route.filters;
  const query = useMemo(() => filtersToQuery(filters), [filters]);
  const key = JSON.stringify(query);
  const pages = useRunPages(query);
  const facets = useLoad(listFacets, 'facets', 'list_facets');
  const searchRef = useRef<HTMLInputElement>(null);

  const backendName = useCallback(
    (id: string) =>
      facets.data?.backends.find((b) => b.backend_id === id)?.name ?? backends?.find((b) => b.backend_id === id)?.name ?? id,
    [facets.data, backends],
  );

  const routeRef = useRef(route);
  routeRef.current = route;
  const changeFilters = useCallback(
    (f: RunFilterState) => navigate({ ...routeRef.current, filters: f, run: null }),
    [navigate],
  );

  const remembered = memory && memory.key === key ? memory : null;
  const viewState = useRef<TableViewState>(remembered?.state ?? { scrollTop: 0, index: -1 });

  const searchFirst = useRef(focusSearchOnMount);
  useEffect(() => {
    if (searchFirst.current) {
      focusSearchOnMount = false;
      searchRef.current?.focus();
      searchRef.current?.select();
    }
  }, []);

  // Keyboard: "/" focuses search; arrows from nowhere in particular go to the table.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '/' && !isTyping(e.target)) {
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
        return;
      }
      if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && (e.target === document.body || e.target === null)) {
        const row =
          document.querySelector<HTMLElement>('[data-testid="runs-scroll"] tr[tabindex="0"]') ??
          document.querySelector<HTMLElement>('[data-testid="run-row"]');
        if (row) {
          e.preventDefault();
          row.focus();
        }
      }
      if (e.key === 'Escape' && e.target === searchRef.current) {
        document.querySelector<HTMLElement>('[data-testid="runs-scroll"] tr[tabindex="0"]')?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const searching = (query.search ?? '') !== '';
  const count = pages.rowCount;
  const report = useReportError();
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const [added, setAdded] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const addSelected = () => {
    setAdding(true);
    golden
      .addRuns(selectedRefs(selected))
      .then((v) => {
        setAdded(v.map((x) => `${x.workflow} v${x.version}`).join(', '));
        setSelected(new Set());
      })
      .catch((e) => report(e, 'golden_add_runs'))
      .finally(() => setAdding(false));
  };

  return (
    <section className="view runs-view">
      <ViewHeader title="Runs" loadedAt={pages.loadedAt} actions={<SyncButton backendId={null} testId="sync-now" />} />
      <RunFilters value={filters} facets={facets.data} onChange={changeFilters} searchRef={searchRef} />
      <div className="pager">
        {/* First in the line: the count beside it changes with every sync and must not move it. */}
        <SelectionBar count={selected.size} adding={adding} added={added} onAdd={addSelected} onClear={() => setSelected(new Set())} />
        <span className="muted" data-testid="run-count" data-total={pages.total ?? undefined} data-capped={pages.capped ? 'true' : undefined}>
          {pages.totalLabel === null
            ? pages.loading
              ? 'Loading…'
              : ''
            : pages.total === 0
              ? 'No runs'
              : `${pages.totalLabel} runs${searching ? ' matching the search, newest synced first' : ''}`}
        </span>
        {searching && pages.searchPending > 0 ? (
          <span className="warn-text small" data-testid="search-pending">
            {pages.searchPending.toLocaleString('en-US')} newly synced runs are still being indexed for search
          </span>
        ) : null}
                <span className="muted small kbd-help">↑/↓ move · Enter opens · / search · Esc back</span>
      </div>
      {count > 0 ? (
        <RunTable
          key={key}
          rowCount={count}
          rowAt={pages.rowAt}
          onRange={pages.ensure}
          backendName={backendName}
          focusRunId={searchFirst.current ? null : (remembered?.runId ?? null)}
          initial={remembered?.state}
          sort={searching ? null : filters.sort}
          onSort={(sort) => changeFilters({ ...filters, sort })}
          selected={selected}
          onSelect={(r, on) => {
            setAdded(null);
            setSelected((cur) => toggled(cur, selectionKey(r), on));
          }}
          onViewState={(s) => {
            viewState.current = s;
          }}
          onOpen={(r) => {
            memory = { key, state: viewState.current, runId: r.run_id };
            navigate({ ...route, run: { backendId: r.backend_id, runId: r.run_id } }, { fromList: true });
          }}
        />
      ) : null}
      {pages.total === 0 ? <p className="empty">No runs match. Add a backend and sync, or clear the filters.</p> : null}
    </section>
  );
}

/** The selected runs' actions: add them (one or many) to their workflows' golden sets. */
export function SelectionBar({
  count,
  adding,
  added,
  onAdd,
  onClear,
}: {
  count: number;
  adding: boolean;
  added: string | null;
  onAdd: () => void;
  onClear: () => void;
}) {
  if (count === 0 && !added) return null;
  return (
    <span className="selection-bar small" data-testid="run-selection" data-count={count}>
      {count > 0 ? (
        <>
          {count} selected{' '}
          <button type="button" className="btn small" data-testid="runs-add-golden" disabled={adding} onClick={onAdd}>
            {adding ? 'Adding…' : `Add ${count === 1 ? 'it' : `all ${count}`} to golden set`}
          </button>{' '}
          <button type="button" className="btn small" data-testid="runs-clear-selection" onClick={onClear}>
            Clear
          </button>
        </>
      ) : null}
      {added ? (
        <span className="muted" data-testid="runs-added-golden">
          {' '}
          Added: <SafeText text={added} />
        </span>
      ) : null}
    </span>
  );
}
