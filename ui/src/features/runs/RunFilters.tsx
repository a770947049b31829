import { useEffect, useState } from 'react';
import { OUTCOMES, type Facets, type RunSort } from '../../api';

export interface RunFilterState {
  backend_id: string;
  workflow: string;
  outcome: string;
  search: string;
  sort: RunSort;
}

export const EMPTY_FILTERS: RunFilterState = {
  backend_id: '',
  workflow: '',
  outcome: '',
  search: '',
  sort: 'time_desc',
};

export function RunFilters({
  value,
  facets,
  onChange,
}: {
  value: RunFilterState;
  facets: Facets | null;
  onChange: (v: RunFilterState) => void;
}) {
  // The search box updates the query after a short pause in typing.
  const [search, setSearch] = useState(value.search);
  useEffect(() => setSearch(value.search), [value.search]);
  useEffect(() => {
    if (search === value.search) return;
    const t = setTimeout(() => onChange({ ...value, search }), 250);
    return () => clearTimeout(t);
  }, [search, value, onChange]);

  const set = (patch: Partial<RunFilterState>) => onChange({ ...value, ...patch });
  return (
    <div className="filters" role="search">
      <input
        type="search"
        data-testid="search-input"
        placeholder="Search runs (id, user, decision, text)…"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onChange({ ...value, search });
        }}
        aria-label="Search runs"
      />
      <label className="field-inline">
        Backend{' '}
        <select data-testid="filter-backend" value={value.backend_id} onChange={(e) => set({ backend_id: e.target.value })}>
          <option value="">all</option>
          {(facets?.backends ?? []).map((b) => (
            <option key={b.backend_id} value={b.backend_id}>
              {b.name}
            </option>
          ))}
        </select>
      </label>
      <label className="field-inline">
        Workflow{' '}
        <select data-testid="filter-workflow" value={value.workflow} onChange={(e) => set({ workflow: e.target.value })}>
          <option value="">all</option>
          {(facets?.workflows ?? []).map((w) => (
            <option key={w} value={w}>
              {w}
            </option>
          ))}
        </select>
      </label>
      <label className="field-inline">
        Outcome{' '}
        <select data-testid="filter-outcome" value={value.outcome} onChange={(e) => set({ outcome: e.target.value })}>
          <option value="">all</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </label>
      <label className="field-inline">
        Sort{' '}
        <select data-testid="sort-select" value={value.sort} onChange={(e) => set({ sort: e.target.value as RunSort })}>
          <option value="time_desc">newest first</option>
          <option value="cost_desc">highest cost</option>
          <option value="latency_desc">slowest</option>
        </select>
      </label>
    </div>
  );
}
