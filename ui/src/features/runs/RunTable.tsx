import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { RunSort, RunSummary } from '../../api';
import { OutcomeBadge } from '../../components/Badges';
import { Money } from '../../components/Money';
import { TimeText } from '../../components/TimeText';
import { formatDuration } from '../../lib/time';
import { scrollToRow, virtualWindow } from '../../lib/virtual';
import { Clipped } from '../../components/Clipped';

/** Fixed row height (px): windowing needs it; cells do not wrap (see styles.css `.runs.virtual`). */
export const ROW_HEIGHT = 30;
const OVERSCAN = 12;
/** Lists up to this long are rendered without windowing. */
export const RENDER_ALL_MAX = 200;

let rowsMarked = false;
/** Marks, once a page, when run rows were first shown (`countersign:first-rows`; the start-up bench reads it). */
function markFirstRows() {
  if (rowsMarked) return;
  rowsMarked = true;
  performance.mark?.('countersign:first-rows');
}
const COLUMNS = 13;

/** A run's key in a selection of the list. */
export const selectionKey = (r: { backend_id: string; run_id: string }) => `${r.backend_id}\u0000${r.run_id}`;

/** The runs of a selection, as the golden-set command takes them (in selection order). */
export function selectedRefs(selected: ReadonlySet<string>): { backend_id: string; run_id: string }[] {
  return [...selected].map((k) => {
    const i = k.indexOf('\u0000');
    return { backend_id: k.slice(0, i), run_id: k.slice(i + 1) };
  });
}

/** `selected` with `key` added or removed. */
export function toggled(selected: ReadonlySet<string>, key: string, on: boolean): Set<string> {
  const next = new Set(selected);
  if (on) next.add(key);
  else next.delete(key);
  return next;
}

// SSR / first paint: assume a typical viewport until the container is measured.
const useIsoLayoutEffect = typeof window === 'undefined' ? useEffect : useLayoutEffect;

export interface TableViewState {
  scrollTop: number;
  index: number;
}

/**
 * The run list as a windowed table: only rows in view (plus a margin) are in the DOM, spacer
 * rows stand in for the rest, so 10,000+ rows scroll smoothly. Rows not yet fetched show a
 * placeholder; `onRange` asks for them.
 *
 * Keyboard: ↑/↓ (also PageUp/PageDown, Home/End) move through rows, Enter opens.
 */
export function RunTable({
  runs,
  rowCount,
  rowAt,
  onRange,
  backendName,
  onOpen,
  focusRunId,
  initial,
  onViewState,
  sort,
  onSort,
  selected,
  onSelect,
}: {
  runs?: RunSummary[];
  rowCount?: number;
  rowAt?: (i: number) => RunSummary | undefined;
  onRange?: (start: number, end: number) => void;
  backendName: (id: string) => string;
  onOpen: (r: RunSummary, index: number) => void;
  /** Focus this run's row once it is rendered (coming back from the detail). */
  focusRunId: string | null;
  initial?: TableViewState;
  onViewState?: (s: TableViewState) => void;
  /** Current sort; with `onSort` the Time/Cost/Latency headers sort (null: sorting unavailable, e.g. while searching). */
  sort?: RunSort | null;
  onSort?: (s: RunSort) => void;
  /** With `onSelect`: a first column of checkboxes selects runs (for "Add to golden set"). */
  selected?: ReadonlySet<string>;
  onSelect?: (r: RunSummary, on: boolean) => void;
}) {
  const selectable = !!onSelect;
  const columns = COLUMNS + (selectable ? 1 : 0);
  const sortHead = (label: string, key: RunSort, testId: string) =>
    onSort ? (
      <button
        type="button"
        className="th-sort"
        data-testid={testId}
        aria-pressed={sort === key}
        disabled={sort === null}
        title={sort === null ? 'Search results come newest-synced first' : `Sort by ${label.toLowerCase()}, largest first`}
        onClick={() => onSort(key)}
      >
        {label}
        {sort === key ? ' ▾' : ''}
      </button>
    ) : (
      label
    );
  const count = rowCount ?? runs?.length ?? 0;
  const at = useCallback((i: number) => (rowAt ? rowAt(i) : runs?.[i]), [rowAt, runs]);
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(initial?.scrollTop ?? 0);
  const [viewport, setViewport] = useState(600);
  const [active, setActive] = useState(initial?.index ?? -1);
  const wantFocus = useRef<number | null>(focusRunId !== null && initial ? initial.index : null);

  // Measure the scroll box and follow its size.
  useIsoLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (initial && initial.scrollTop) el.scrollTop = initial.scrollTop;
    setViewport(el.clientHeight || 600);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setViewport(el.clientHeight || 600));
    ro.observe(el);
    return () => ro.disconnect();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Short lists render whole (cheap, and every row is findable); long ones are windowed.
  const win =
    count <= RENDER_ALL_MAX
      ? { start: 0, end: count, padTop: 0, padBottom: 0 }
      : virtualWindow({ scrollTop, viewportHeight: viewport, rowHeight: ROW_HEIGHT, total: count, overscan: OVERSCAN });

  useEffect(() => {
    onRange?.(win.start, win.end);
  }, [onRange, win.start, win.end]);

  const shown = count > 0 && at(win.start) !== undefined;
  useEffect(() => {
    if (shown) markFirstRows();
  }, [shown]);

  const viewStateRef = useRef(onViewState);
  viewStateRef.current = onViewState;
  useEffect(() => {
    viewStateRef.current?.({ scrollTop, index: active });
  }, [scrollTop, active]);

  // Move DOM focus to the active row after it renders.
  useIsoLayoutEffect(() => {
    const i = wantFocus.current;
    if (i === null || !scroller.current) return;
    const row = scroller.current.querySelector<HTMLTableRowElement>(`tr[data-index="${i}"]`);
    if (row && (focusRunId === null || row.dataset.runId === focusRunId || at(i) !== undefined)) {
      row.focus({ preventScroll: true });
      wantFocus.current = null;
    }
  });

  const moveTo = (i: number) => {
    if (count === 0) return;
    const next = Math.max(0, Math.min(count - 1, i));
    setActive(next);
    wantFocus.current = next;
    const el = scroller.current;
    if (el) {
      const top = scrollToRow(next, el.scrollTop, el.clientHeight - ROW_HEIGHT, ROW_HEIGHT);
      if (top !== el.scrollTop) {
        el.scrollTop = top;
        setScrollTop(top);
      }
    }
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const t = e.target as HTMLElement;
    if (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA') return;
    const page = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
    const cur = active < 0 ? -1 : active;
    switch (e.key) {
      case 'ArrowDown':
        moveTo(cur + 1);
        break;
      case 'ArrowUp':
        moveTo(Math.max(0, cur - 1));
        break;
      case 'PageDown':
        moveTo(cur + page);
        break;
      case 'PageUp':
        moveTo(cur - page);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(count - 1);
        break;
      case 'Enter': {
        const r = cur >= 0 ? at(cur) : undefined;
        if (!r) return;
        onOpen(r, cur);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  };

  const rows = [];
  for (let i = win.start; i < win.end; i++) {
    const r = at(i);
    if (!r) {
      rows.push(
        <tr key={`pending-${i}`} className="run-row-pending" data-index={i} aria-busy="true">
          <td colSpan={columns} className="muted">
            Loading…
          </td>
        </tr>,
      );
      continue;
    }
    rows.push(
      <tr
        key={`${r.backend_id}/${r.run_id}`}
        data-testid="run-row"
        data-run-id={r.run_id}
        data-backend-id={r.backend_id}
        data-index={i}
        aria-rowindex={i + 2}
        aria-selected={i === active}
        tabIndex={i === active || (active < 0 && i === win.start) ? 0 : -1}
        className={`clickable${i === active ? ' active' : ''}`}
        onClick={() => {
          setActive(i);
          onOpen(r, i);
        }}
        onFocus={() => setActive(i)}
      >
        {selectable ? (
          <td data-col="select" onClick={(e) => e.stopPropagation()}>
            <input
              type="checkbox"
              data-testid="run-select"
              aria-label={`Select run ${r.run_id}`}
              checked={selected?.has(selectionKey(r)) ?? false}
              onChange={(e) => onSelect?.(r, e.target.checked)}
            />
          </td>
        ) : null}
        <td data-col="time">
          <TimeText value={r.started_at} compact />
        </td>
        <td data-col="backend">
          <Clipped text={backendName(r.backend_id)} />
        </td>
        <td data-col="workflow">
          <Clipped text={r.workflow} />
        </td>
        <td data-col="workflow_version" className="muted">
          <Clipped text={r.workflow_version} />
        </td>
        <td data-col="user">
          <Clipped text={r.user_id} />
        </td>
        <td data-col="model">
          <Clipped text={r.model} />
        </td>
        <td data-col="outcome">
          <OutcomeBadge outcome={r.outcome} />
        </td>
        <td data-col="decision">
          <Clipped text={r.decision} />
        </td>
        <td data-col="cost" className="num">
          <Money micros={r.cost_micros} />
        </td>
        <td data-col="latency" className="num">
          {formatDuration(r.latency_ms)}
        </td>
        <td data-col="tool_calls" className="num">
          {r.tool_calls}
        </td>
        <td data-col="policy_failures" className={`num ${r.policy_failures > 0 ? 'warn-text' : 'muted'}`}>
          {r.policy_failures}
        </td>
        <td data-col="citation_warnings" className={`num ${r.citation_warnings > 0 ? 'warn-text' : 'muted'}`}>
          {r.citation_warnings}
        </td>
      </tr>,
    );
  }

  return (
    <div
      className="table-wrap runs-scroll"
      ref={scroller}
      data-testid="runs-scroll"
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onKeyDown={onKey}
    >
      <table className="grid runs virtual" role="grid" aria-rowcount={count + 1}>
        <colgroup>
          {selectable ? <col className="w-check" /> : null}
          <col className="w-time" />
          <col className="w-backend" />
          <col className="w-workflow" />
          <col className="w-ver" />
          <col className="w-user" />
          <col className="w-model" />
          <col className="w-outcome" />
          <col className="w-decision" />
          <col className="w-num" />
          <col className="w-num" />
          <col className="w-small" />
          <col className="w-small" />
          <col className="w-small" />
        </colgroup>
        <thead>
          <tr>
            {selectable ? <th aria-label="Select" /> : null}
            <th aria-sort={sort === 'time_desc' ? 'descending' : undefined}>{sortHead('Time', 'time_desc', 'sort-time')}</th>
            <th>Backend</th>
            <th>Workflow</th>
            <th title="Workflow version">Ver.</th>
            <th>User</th>
            <th>Model</th>
            <th>Outcome</th>
            <th>Decision</th>
            <th className="num" aria-sort={sort === 'cost_desc' ? 'descending' : undefined}>
              {sortHead('Cost', 'cost_desc', 'sort-cost')}
            </th>
            <th className="num" aria-sort={sort === 'latency_desc' ? 'descending' : undefined}>
              {sortHead('Latency', 'latency_desc', 'sort-latency')}
            </th>
            <th className="num" title="Tool calls">Calls</th>
            <th className="num" title="Failed policy checks">Pol ✗</th>
            <th className="num" title="Citations of deprecated or stale sources">Cit ⚠</th>
          </tr>
        </thead>
        <tbody>
          {win.padTop > 0 ? (
            <tr className="spacer" aria-hidden="true">
              <td colSpan={columns} style={{ height: win.padTop }} />
            </tr>
          ) : null}
          {rows}
          {win.padBottom > 0 ? (
            <tr className="spacer" aria-hidden="true">
              <td colSpan={columns} style={{ height: win.padBottom }} />
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
