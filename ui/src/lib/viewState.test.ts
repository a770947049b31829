import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ROUTE,
  EMPTY_FILTERS,
  filtersToParams,
  filtersToQuery,
  hashToRoute,
  localInputToRfc3339,
  paramsToFilters,
  rfc3339ToLocalInput,
  routeToHash,
  type RunFilters,
} from './viewState';

const full: RunFilters = {
  backend: 'b 1',
  tenant: 'acme & co',
  workflow: 'support_triage',
  model: 'gpt-x/2',
  outcome: 'escalated',
  user: 'ana@example.com',
  since: '2026-11-01T00:00:00.000Z',
  until: '2026-11-25T12:30:00.000Z',
  minCost: '0.5',
  maxCost: '12',
  policyFailed: true,
  citesStale: true,
  search: 'refund "EU" #1 ?x=1&y',
  sort: 'cost_desc',
};

describe('filters <-> URL', () => {
  it('round-trips every filter through the query string', () => {
    const p = filtersToParams(full);
    expect(paramsToFilters(new URLSearchParams(p.toString()))).toEqual(full);
  });

  it('round-trips through the hash, with and without an open run', () => {
    const route = { ...DEFAULT_ROUTE, filters: full };
    expect(hashToRoute(routeToHash(route))).toEqual(route);
    const open = { ...route, run: { backendId: 'b/1', runId: 'run 7?' } };
    expect(hashToRoute(routeToHash(open))).toEqual(open);
  });

  it('keeps the default view short', () => {
    expect(routeToHash(DEFAULT_ROUTE)).toBe('#/runs');
    expect(hashToRoute('')).toEqual(DEFAULT_ROUTE);
    expect(hashToRoute('#/')).toEqual(DEFAULT_ROUTE);
    expect(routeToHash({ ...DEFAULT_ROUTE, filters: { ...EMPTY_FILTERS, search: 'x' } })).toBe('#/runs?q=x');
  });

  it('drops malformed values instead of failing', () => {
    const f = hashToRoute('#/runs?sort=drop_table&since=yesterday&min=-3&max=abc&policy_failed=yes&q=ok').filters;
    expect(f).toEqual({ ...EMPTY_FILTERS, search: 'ok' });
    expect(hashToRoute('#/nowhere?q=x')).toEqual(DEFAULT_ROUTE);
  });

  it('normalises money in the URL', () => {
    expect(paramsToFilters(new URLSearchParams('min=0.50&max=$1,000')).minCost).toBe('0.5');
    expect(paramsToFilters(new URLSearchParams('max=$1,000')).maxCost).toBe('1000');
  });

  it('keeps the overview window and other views', () => {
    const r = hashToRoute('#/overview?days=90&backend=b1');
    expect(r.view).toBe('overview');
    expect(r.days).toBe(90);
    expect(r.overviewBackend).toBe('b1');
    expect(routeToHash(r)).toBe('#/overview?days=90&backend=b1');
    expect(hashToRoute('#/overview?days=13').days).toBe(30);
    expect(hashToRoute('#/approvals').view).toBe('approvals');
  });
});

describe('filtersToQuery', () => {
  it('builds the list_runs query with exact micros', () => {
    expect(filtersToQuery(full)).toEqual({
      backend_id: 'b 1',
      tenant: 'acme & co',
      workflow: 'support_triage',
      model: 'gpt-x/2',
      outcome: 'escalated',
      user_id: 'ana@example.com',
      search: 'refund "EU" #1 ?x=1&y',
      since: '2026-11-01T00:00:00.000Z',
      until: '2026-11-25T12:30:00.000Z',
      min_cost_micros: 500_000,
      max_cost_micros: 12_000_000,
      policy_failed: true,
      cites_stale: true,
      sort: 'cost_desc',
    });
    const empty = filtersToQuery(EMPTY_FILTERS);
    expect(empty.search).toBeNull();
    expect(empty.min_cost_micros).toBeNull();
    expect(empty.policy_failed).toBe(false);
  });
});

describe('datetime-local inputs', () => {
  it('round-trip through UTC in the local zone', () => {
    const utc = localInputToRfc3339('2026-11-25T16:30');
    expect(utc).not.toBeNull();
    expect(rfc3339ToLocalInput(utc ?? '')).toBe('2026-11-25T16:30');
    expect(rfc3339ToLocalInput(localInputToRfc3339('2026-03-01T00:00:15') ?? '')).toBe('2026-03-01T00:00:15');
    expect(localInputToRfc3339('garbage')).toBeNull();
    expect(rfc3339ToLocalInput('nope')).toBe('');
  });
});
