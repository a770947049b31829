import { useEffect, useRef, useState, type RefObject } from 'react';
import { OUTCOMES, type Facets, type RunSort } from '../../api';
import { ClippedOption } from '../../components/Clipped';
import { titleText } from '../../lib/clip';
import { microsToDollarInput, parseDollarsToMicros } from '../../lib/moneyInput';
import {
  EMPTY_FILTERS,
  hasActiveFilters,
  localInputToRfc3339,
  rfc3339ToLocalInput,
  type RunFilters as RunFilterState,
} from '../../lib/viewState';

export type { RunFilterState };
export { EMPTY_FILTERS };

/** A text box that commits after a pause in typing, on Enter and on blur. */
function DebouncedText({
  value,
  onCommit,
  testId,
  placeholder,
  label,
  type = 'text',
  inputRef,
  delay = 350,
}: {
  value: string;
  onCommit: (v: string) => void;
  testId: string;
  placeholder: string;
  label: string;
  type?: 'text' | 'search';
  inputRef?: RefObject<HTMLInputElement | null>;
  delay?: number;
}) {
  const [draft, setDraft] = useState(value);
  const committed = useRef(value);
  useEffect(() => {
    // The echo of our own commit can arrive after more keys were typed: keep the draft then,
    // or those keys are lost. Only a change made elsewhere (clear filters, a link) replaces it.
    if (value === committed.current) return;
    committed.current = value;
    setDraft(value);
  }, [value]);
  useEffect(() => {
    if (draft === committed.current) return;
    const t = setTimeout(() => {
      committed.current = draft;
      onCommit(draft);
    }, delay);
    return () => clearTimeout(t);
  }, [draft, delay, onCommit]);
  const commitNow = () => {
    if (draft !== committed.current) {
      committed.current = draft;
      onCommit(draft);
    }
  };
  return (
    <input
      ref={inputRef}
      type={type}
      data-testid={testId}
      placeholder={placeholder}
      aria-label={label}
      title={value ? titleText(value) : undefined}
      value={draft}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commitNow}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commitNow();
        if (e.key === 'Escape' && draft !== '') {
          e.preventDefault();
          setDraft('');
        }
      }}
    />
  );
}

/** Dollars typed by a person; commits integer-exact canonical text, or shows why it can't. */
function MoneyBox({ value, onCommit, testId, label }: { value: string; onCommit: (v: string) => void; testId: string; label: string }) {
  const [draft, setDraft] = useState(value);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDraft(value);
    setError(null);
  }, [value]);
  const commit = () => {
    const p = parseDollarsToMicros(draft);
    if (!p.ok) {
      setError(p.error);
      return;
    }
    setError(null);
    const canon = p.micros === null ? '' : microsToDollarInput(p.micros);
    setDraft(canon);
    if (canon !== value) onCommit(canon);
  };
  return (
    <span className="money-box">
      <span className="muted">$</span>
      <input
        type="text"
        inputMode="decimal"
        data-testid={testId}
        aria-label={label}
        aria-invalid={error ? true : undefined}
        className={error ? 'invalid' : ''}
        placeholder={label.startsWith('Min') ? 'min' : 'max'}
        value={draft}
        size={7}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
        title={error ?? 'Dollars, up to six decimals'}
      />
      {error ? (
        <span className="warn-text small" data-testid={`${testId}-error`}>
          {error}
        </span>
      ) : null}
    </span>
  );
}

function DateTimeBox({ value, onCommit, testId, label }: { value: string; onCommit: (v: string) => void; testId: string; label: string }) {
  return (
    <input
      type="datetime-local"
      data-testid={testId}
      aria-label={`${label} (your time zone)`}
      title={value ? `${value} (UTC)` : `${label}, in your time zone`}
      value={rfc3339ToLocalInput(value)}
      step={60}
      onChange={(e) => {
        const v = e.target.value;
        if (v === '') onCommit('');
        else {
          const utc = localInputToRfc3339(v);
          if (utc) onCommit(utc);
        }
      }}
    />
  );
}

export function RunFilters({
  value,
  facets,
  onChange,
  searchRef,
}: {
  value: RunFilterState;
  facets: Facets | null;
  onChange: (v: RunFilterState) => void;
  searchRef?: RefObject<HTMLInputElement | null>;
}) {
  const valueRef = useRef(value);
  valueRef.current = value;
  // Stable per-field committers (DebouncedText depends on their identity).
  const setters = useRef(new Map<keyof RunFilterState, (v: unknown) => void>());
  const set = <K extends keyof RunFilterState>(k: K) => {
    let f = setters.current.get(k);
    if (!f) {
      f = (v: unknown) => onChangeRef.current({ ...valueRef.current, [k]: v });
      setters.current.set(k, f);
    }
    return f as (v: RunFilterState[K]) => void;
  };
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const searching = value.search.trim() !== '';

  return (
    <div className="filters" role="search">
      <div className="filters-row">
        <DebouncedText
          type="search"
          testId="search-input"
          placeholder="Search words in inputs, outputs, tool calls, passages (refund* for prefixes)  ( / )"
          label="Search runs"
          value={value.search}
          onCommit={set('search')}
          inputRef={searchRef}
          delay={250}
        />
        <label className="field-inline">
          Backend{' '}
          <select
            data-testid="filter-backend"
            className="clipped-select"
            title={value.backend ? titleText(facets?.backends.find((b) => b.backend_id === value.backend)?.name ?? value.backend) : undefined}
            value={value.backend}
            onChange={(e) => set('backend')(e.target.value)}>
            <option value="">all</option>
            {(facets?.backends ?? []).map((b) => (
              <ClippedOption key={b.backend_id} value={b.backend_id} label={b.name} />
            ))}
          </select>
        </label>
        <label className="field-inline">
          Workflow{' '}
          <select
            data-testid="filter-workflow"
            className="clipped-select"
            title={value.workflow ? titleText(value.workflow) : undefined}
            value={value.workflow}
            onChange={(e) => set('workflow')(e.target.value)}>
            <option value="">all</option>
            {(facets?.workflows ?? []).map((w) => (
              <ClippedOption key={w} value={w} />
            ))}
            {value.workflow && !(facets?.workflows ?? []).includes(value.workflow) ? <ClippedOption value={value.workflow} /> : null}
          </select>
        </label>
        <label className="field-inline">
          Model{' '}
          <select
            data-testid="filter-model"
            className="clipped-select"
            title={value.model ? titleText(value.model) : undefined}
            value={value.model}
            onChange={(e) => set('model')(e.target.value)}>
            <option value="">all</option>
            {(facets?.models ?? []).map((m) => (
              <ClippedOption key={m} value={m} />
            ))}
            {value.model && !(facets?.models ?? []).includes(value.model) ? <ClippedOption value={value.model} /> : null}
          </select>
        </label>
        <label className="field-inline">
          Outcome{' '}
          <select data-testid="filter-outcome" value={value.outcome} onChange={(e) => set('outcome')(e.target.value)}>
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
          <select
            data-testid="sort-select"
            value={value.sort}
            disabled={searching}
            title={searching ? 'Search results come newest-synced first; sort is ignored' : undefined}
            onChange={(e) => set('sort')(e.target.value as RunSort)}
          >
            <option value="time_desc">newest first</option>
            <option value="cost_desc">highest cost</option>
            <option value="latency_desc">slowest</option>
          </select>
        </label>
      </div>
      <div className="filters-row">
        <label className="field-inline">
          Tenant{' '}
          <DebouncedText testId="filter-tenant" placeholder="any" label="Tenant" value={value.tenant} onCommit={set('tenant')} />
        </label>
        <label className="field-inline">
          User{' '}
          <DebouncedText testId="filter-user" placeholder="any" label="User" value={value.user} onCommit={set('user')} />
        </label>
        <label className="field-inline">
          From <DateTimeBox testId="filter-since" label="Started at or after" value={value.since} onCommit={set('since')} />
        </label>
        <label className="field-inline">
          to <DateTimeBox testId="filter-until" label="Started before" value={value.until} onCommit={set('until')} />
        </label>
        <span className="field-inline">
          Cost <MoneyBox testId="filter-min-cost" label="Min cost in dollars" value={value.minCost} onCommit={set('minCost')} />
          –
          <MoneyBox testId="filter-max-cost" label="Max cost in dollars" value={value.maxCost} onCommit={set('maxCost')} />
        </span>
        <label className="field-inline check">
          <input
            type="checkbox"
            data-testid="filter-policy-failed"
            checked={value.policyFailed}
            onChange={(e) => set('policyFailed')(e.target.checked)}
          />
          has failed policy check
        </label>
        <label className="field-inline check">
          <input
            type="checkbox"
            data-testid="filter-cites-stale"
            checked={value.citesStale}
            onChange={(e) => set('citesStale')(e.target.checked)}
          />
          cites deprecated or stale source
        </label>
        {hasActiveFilters(value) ? (
          <button type="button" className="btn small" data-testid="filter-clear" onClick={() => onChange({ ...EMPTY_FILTERS, sort: value.sort })}>
            Clear filters
          </button>
        ) : null}
      </div>
      {searching ? (
        <p className="muted small note" data-testid="search-sort-note">
          Search results are listed newest-synced first; the sort order is ignored while searching. Every word must appear
          (the last one as a prefix) in inputs, outputs, tool arguments/results or cited passages.
        </p>
      ) : null}
    </div>
  );
}
