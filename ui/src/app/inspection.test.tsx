// Test ids and structure added for run inspection (Overview, windowed run list, filters).
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../api';
import { OverviewView } from '../features/overview/OverviewView';
import { RunTable } from '../features/runs/RunTable';
import { RunFilters } from '../features/runs/RunFilters';
import { EMPTY_FILTERS } from '../lib/viewState';
import { App } from './App';
import { ErrorProvider } from './errors';
import { StoreProvider } from './store';

const summary = (i: number): RunSummary => ({
  backend_id: 'b1',
  run_id: `run_${i}`,
  tenant: 't',
  workflow: 'wf',
  workflow_version: 'v1',
  user_id: 'u',
  model: 'm',
  outcome: 'success',
  decision: 'd',
  cost_micros: i,
  latency_ms: 10,
  tool_calls: 1,
  policy_failures: 0,
  citation_warnings: 0,
  started_at: '2026-11-25T15:00:00Z',
});

describe('app shell', () => {
  it('lists Overview first in the nav and lands on Runs', () => {
    const html = renderToStaticMarkup(<App />);
    const ids = [...html.matchAll(/data-testid="(nav-[a-z]+)"/g)].map((m) => m[1]);
    expect(ids[0]).toBe('nav-overview');
    expect(ids).toContain('nav-runs');
    expect(html).toMatch(/data-testid="nav-runs"[^>]*class="active"/);
    expect(html).toContain('data-testid="search-input"');
  });
});

describe('windowed run table', () => {
  it('renders only the rows in view of a long list, with spacers for the rest', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => summary(i));
    const html = renderToStaticMarkup(<RunTable runs={rows} backendName={(x) => x} onOpen={() => {}} focusRunId={null} />);
    const n = (html.match(/data-testid="run-row"/g) ?? []).length;
    expect(n).toBeGreaterThan(10);
    expect(n).toBeLessThan(100);
    expect(html).toContain('class="spacer"');
    expect(html).toContain('data-testid="runs-scroll"');
  });

  it('shows placeholders for rows whose page has not arrived', () => {
    const html = renderToStaticMarkup(
      <RunTable rowCount={500} rowAt={() => undefined} backendName={(x) => x} onOpen={() => {}} focusRunId={null} />,
    );
    expect(html).toContain('run-row-pending');
    expect(html).not.toContain('data-testid="run-row"');
  });

  it('offers header sorting, disabled while searching', () => {
    const base = { runs: [summary(1)], backendName: (x: string) => x, onOpen: () => {}, focusRunId: null, onSort: () => {} };
    expect(renderToStaticMarkup(<RunTable {...base} sort="cost_desc" />)).toMatch(/data-testid="sort-cost" aria-pressed="true"/);
    expect(renderToStaticMarkup(<RunTable {...base} sort={null} />)).toMatch(/data-testid="sort-time"[^>]*disabled/);
  });
});

describe('run filters', () => {
  it('has every filter and says that search ignores sort', () => {
    const html = renderToStaticMarkup(
      <RunFilters value={{ ...EMPTY_FILTERS, search: 'refund', minCost: '0.5' }} facets={null} onChange={() => {}} />,
    );
    for (const id of [
      'search-input',
      'filter-backend',
      'filter-tenant',
      'filter-workflow',
      'filter-model',
      'filter-outcome',
      'filter-user',
      'filter-since',
      'filter-until',
      'filter-min-cost',
      'filter-max-cost',
      'filter-policy-failed',
      'filter-cites-stale',
      'filter-clear',
      'search-sort-note',
    ]) {
      expect(html, id).toContain(`data-testid="${id}"`);
    }
    expect(html).toMatch(/data-testid="sort-select"[^>]*disabled/);
  });
});

describe('overview', () => {
  it('renders the window selector', () => {
    const html = renderToStaticMarkup(
      <ErrorProvider>
        <StoreProvider>
          <OverviewView days={30} backendId="" onChange={() => {}} onOpenRuns={() => {}} />
        </StoreProvider>
      </ErrorProvider>,
    );
    expect(html).toContain('data-testid="overview-view"');
    for (const d of [7, 30, 90]) expect(html).toContain(`data-testid="window-${d}"`);
    expect(html).toMatch(/data-testid="window-30"[^>]*|aria-pressed="true"[^>]*data-testid="window-30"/);
  });
});
