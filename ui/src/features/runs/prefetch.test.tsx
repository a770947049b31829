// The landing list's first page, asked for before the app's first render, is in the list's very
// first render (the first paint holds rows) and is not asked for twice; it never stands in for
// another query's page.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { RunPage, RunQuery, RunSummary } from '../../api';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { prefetchFirstPage, useRunPages } from './useRunPages';

type Win = { __TAURI_INTERNALS__?: { invoke: (...a: unknown[]) => Promise<unknown> } };
const g = globalThis as unknown as { window?: Win };
afterEach(() => {
  delete g.window;
});

const run = (id: string): RunSummary => ({
  backend_id: 'b1',
  run_id: id,
  tenant: 't',
  workflow: 'refund_request',
  workflow_version: 'v1',
  user_id: 'u',
  model: 'm',
  outcome: 'success',
  decision: '',
  cost_micros: 1200,
  latency_ms: 900,
  tool_calls: 2,
  policy_failures: 0,
  citation_warnings: 0,
  started_at: '2026-11-27T10:00:00Z',
});

function List({ query }: { query: RunQuery }) {
  const pages = useRunPages(query);
  const first = pages.rowAt(0);
  return <p data-count={pages.rowCount}>{first ? first.run_id : 'no rows yet'}</p>;
}

const render = (query: RunQuery) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>
        <List query={query} />
      </StoreProvider>
    </ErrorProvider>,
  );

describe('prefetchFirstPage', () => {
  it('puts the first page in the list’s first render, asked for once', async () => {
    const page: RunPage = { items: [run('r-newest'), run('r-2')], total: 2, total_capped: false, search_pending: 0 };
    const invoke = vi.fn(async () => page);
    g.window = { __TAURI_INTERNALS__: { invoke } };
    const query: RunQuery = { outcome: 'success' };
    await prefetchFirstPage(query);
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(invoke).toHaveBeenLastCalledWith('list_runs', { query: { outcome: 'success', limit: 200, offset: 0 } }, undefined);
    const html = render({ outcome: 'success' });
    expect(html).toContain('r-newest');
    expect(html).toContain('data-count="2"');
    // Server rendering runs no effects: the row came from the prefetched page, not a new request.
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it('never stands in for another query, and is taken only once', async () => {
    const page: RunPage = { items: [run('r-other')], total: 1, total_capped: false, search_pending: 0 };
    g.window = { __TAURI_INTERNALS__: { invoke: vi.fn(async () => page) } };
    await prefetchFirstPage({});
    expect(render({ workflow: 'refund_request' })).toContain('no rows yet');
    // The list that mounted first took (and dropped) it: a later list of the same query asks anew.
    expect(render({})).toContain('no rows yet');
  });

  it('a failed prefetch leaves the list to ask (and report) itself', async () => {
    g.window = { __TAURI_INTERNALS__: { invoke: vi.fn(async () => Promise.reject({ code: 'store', message: 'locked' })) } };
    await expect(prefetchFirstPage({})).resolves.toBeUndefined();
    expect(render({})).toContain('no rows yet');
  });
});
