import { useCallback, useMemo, useState } from 'react';
import { listFacets, listRuns, type RunQuery } from '../../api';
import { useStore } from '../../app/store';
import { useLoad } from '../../app/useLoad';
import { SyncButton } from '../../components/SyncButton';
import { ViewHeader } from '../../components/ViewHeader';
import { RunDetail } from './RunDetail';
import { EMPTY_FILTERS, RunFilters, type RunFilterState } from './RunFilters';
import { RunTable } from './RunTable';

const PAGE = 100;

export interface RunRef {
  backendId: string;
  runId: string;
}

export function RunsView({
  selected,
  onSelect,
}: {
  selected: RunRef | null;
  onSelect: (r: RunRef | null) => void;
}) {
  const { backends } = useStore();
  const [filters, setFilters] = useState<RunFilterState>(EMPTY_FILTERS);
  const [offset, setOffset] = useState(0);
  const [lastOpened, setLastOpened] = useState<string | null>(null);

  const query: RunQuery = useMemo(
    () => ({
      backend_id: filters.backend_id || null,
      workflow: filters.workflow || null,
      outcome: filters.outcome || null,
      search: filters.search.trim() || null,
      sort: filters.sort,
      limit: PAGE,
      offset,
    }),
    [filters, offset],
  );
  const runs = useLoad(() => listRuns(query), JSON.stringify(query), 'list_runs');
  const facets = useLoad(listFacets, 'facets', 'list_facets');

  const backendName = useCallback(
    (id: string) =>
      facets.data?.backends.find((b) => b.backend_id === id)?.name ??
      backends?.find((b) => b.backend_id === id)?.name ??
      id,
    [facets.data, backends],
  );

  const changeFilters = useCallback((f: RunFilterState) => {
    setFilters(f);
    setOffset(0);
  }, []);

  if (selected) {
    return (
      <RunDetail
        backendId={selected.backendId}
        runId={selected.runId}
        onBack={() => {
          setLastOpened(selected.runId);
          onSelect(null);
        }}
        onOpenRun={(backendId, runId) => onSelect({ backendId, runId })}
      />
    );
  }

  const page = runs.data;
  const total = page?.total ?? 0;
  return (
    <section className="view">
      <ViewHeader title="Runs" loadedAt={runs.loadedAt} actions={<SyncButton backendId={null} testId="sync-now" />} />
      <RunFilters value={filters} facets={facets.data} onChange={changeFilters} />
      <div className="pager">
        <span className="muted" data-testid="run-count">
          {page
            ? total === 0
              ? 'No runs'
              : `${offset + 1}–${Math.min(offset + page.items.length, total)} of ${total} runs`
            : runs.loading
              ? 'Loading…'
              : ''}
        </span>
        <button type="button" className="btn small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          ← Prev
        </button>
        <button
          type="button"
          className="btn small"
          disabled={!page || offset + PAGE >= total}
          onClick={() => setOffset(offset + PAGE)}
        >
          Next →
        </button>
      </div>
      {page && page.items.length > 0 ? (
        <RunTable
          runs={page.items}
          backendName={backendName}
          focusRunId={lastOpened}
          onOpen={(r) => onSelect({ backendId: r.backend_id, runId: r.run_id })}
        />
      ) : null}
      {page && page.items.length === 0 ? (
        <p className="empty">No runs match. Add a backend and sync, or clear the filters.</p>
      ) : null}
    </section>
  );
}
