// The app's location lives in the URL hash so a view (filters, search, open run) can be saved,
// reopened and walked with back/forward:  #/runs?q=refund&outcome=fail
//                                          #/runs/<backend>/<run>?q=refund   (run detail)
//                                          #/overview?days=90
import type { RunQuery, RunSort } from '../api/types';
import { microsToDollarInput, parseDollarsToMicros } from './moneyInput';

export type ViewId = 'overview' | 'runs' | 'approvals' | 'trust' | 'golden' | 'failures' | 'budgets' | 'backends' | 'audit' | 'settings';
export const VIEW_IDS: readonly ViewId[] = ['overview', 'runs', 'approvals', 'trust', 'golden', 'failures', 'budgets', 'backends', 'audit', 'settings'];

export const SORTS: readonly RunSort[] = ['time_desc', 'cost_desc', 'latency_desc'];
export const WINDOWS = [7, 30, 90] as const;
export type WindowDays = (typeof WINDOWS)[number];

export interface RunFilters {
  backend: string;
  tenant: string;
  workflow: string;
  model: string;
  outcome: string;
  user: string;
  /** RFC 3339 UTC, or ''. */
  since: string;
  /** RFC 3339 UTC, or ''. */
  until: string;
  /** Canonical dollar text ("0.5"), or ''. */
  minCost: string;
  maxCost: string;
  policyFailed: boolean;
  citesStale: boolean;
  search: string;
  sort: RunSort;
}

export const EMPTY_FILTERS: RunFilters = {
  backend: '',
  tenant: '',
  workflow: '',
  model: '',
  outcome: '',
  user: '',
  since: '',
  until: '',
  minCost: '',
  maxCost: '',
  policyFailed: false,
  citesStale: false,
  search: '',
  sort: 'time_desc',
};

export interface Route {
  view: ViewId;
  filters: RunFilters;
  /** Open run (runs view only). */
  run: { backendId: string; runId: string } | null;
  /** Overview window. */
  days: WindowDays;
  /** Overview backend filter. */
  overviewBackend: string;
}

export const DEFAULT_ROUTE: Route = { view: 'runs', filters: EMPTY_FILTERS, run: null, days: 30, overviewBackend: '' };

const TEXT_KEYS: [keyof RunFilters, string][] = [
  ['search', 'q'],
  ['backend', 'backend'],
  ['tenant', 'tenant'],
  ['workflow', 'workflow'],
  ['model', 'model'],
  ['outcome', 'outcome'],
  ['user', 'user'],
];

function isRfc3339(v: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v));
}

function canonicalMoney(v: string | null): string {
  if (v === null) return '';
  const p = parseDollarsToMicros(v);
  return p.ok && p.micros !== null ? microsToDollarInput(p.micros) : '';
}

/** Filters → query-string parameters; defaults are left out so URLs stay short. */
export function filtersToParams(f: RunFilters, into: URLSearchParams = new URLSearchParams()): URLSearchParams {
  for (const [k, name] of TEXT_KEYS) {
    const v = f[k];
    if (typeof v === 'string' && v !== '') into.set(name, v);
  }
  if (f.since) into.set('since', f.since);
  if (f.until) into.set('until', f.until);
  if (f.minCost) into.set('min', f.minCost);
  if (f.maxCost) into.set('max', f.maxCost);
  if (f.policyFailed) into.set('policy_failed', '1');
  if (f.citesStale) into.set('stale', '1');
  if (f.sort !== 'time_desc') into.set('sort', f.sort);
  return into;
}

/** Query-string parameters → filters. Anything malformed falls back to its default. */
export function paramsToFilters(p: URLSearchParams): RunFilters {
  const f: RunFilters = { ...EMPTY_FILTERS };
  for (const [k, name] of TEXT_KEYS) {
    const v = p.get(name);
    if (v !== null) (f as unknown as Record<string, unknown>)[k] = v;
  }
  const since = p.get('since');
  const until = p.get('until');
  if (since && isRfc3339(since)) f.since = since;
  if (until && isRfc3339(until)) f.until = until;
  f.minCost = canonicalMoney(p.get('min'));
  f.maxCost = canonicalMoney(p.get('max'));
  f.policyFailed = p.get('policy_failed') === '1';
  f.citesStale = p.get('stale') === '1';
  const sort = p.get('sort');
  if (sort && (SORTS as readonly string[]).includes(sort)) f.sort = sort as RunSort;
  return f;
}

/** Route → hash ("#/runs?q=x"). */
export function routeToHash(r: Route): string {
  let path: string = r.view;
  let params = new URLSearchParams();
  if (r.view === 'runs') {
    params = filtersToParams(r.filters);
    if (r.run) path = `runs/${encodeURIComponent(r.run.backendId)}/${encodeURIComponent(r.run.runId)}`;
  } else if (r.view === 'overview') {
    if (r.days !== 30) params.set('days', String(r.days));
    if (r.overviewBackend) params.set('backend', r.overviewBackend);
  }
  const qs = params.toString();
  return `#/${path}${qs ? `?${qs}` : ''}`;
}

/** Hash → route. Unknown paths land on the runs list. */
export function hashToRoute(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q >= 0 ? h.slice(0, q) : h;
  const params = new URLSearchParams(q >= 0 ? h.slice(q + 1) : '');
  const parts = path.split('/').filter((s) => s !== '');
  const head = parts[0] ?? 'runs';
  if (!(VIEW_IDS as readonly string[]).includes(head)) return { ...DEFAULT_ROUTE };
  const view = head as ViewId;
  const route: Route = { ...DEFAULT_ROUTE, view };
  if (view === 'runs') {
    route.filters = paramsToFilters(params);
    if (parts.length === 3) {
      try {
        route.run = { backendId: decodeURIComponent(parts[1] ?? ''), runId: decodeURIComponent(parts[2] ?? '') };
      } catch {
        route.run = null;
      }
    }
  } else if (view === 'overview') {
    const d = Number(params.get('days'));
    route.days = (WINDOWS as readonly number[]).includes(d) ? (d as WindowDays) : 30;
    route.overviewBackend = params.get('backend') ?? '';
  }
  return route;
}

/** Filters → the `list_runs` query (without limit/offset). */
export function filtersToQuery(f: RunFilters): RunQuery {
  const money = (v: string) => {
    const p = parseDollarsToMicros(v);
    return p.ok ? p.micros : null;
  };
  const opt = (v: string) => (v.trim() === '' ? null : v.trim());
  return {
    backend_id: opt(f.backend),
    tenant: opt(f.tenant),
    workflow: opt(f.workflow),
    model: opt(f.model),
    outcome: opt(f.outcome),
    user_id: opt(f.user),
    search: opt(f.search),
    since: f.since || null,
    until: f.until || null,
    min_cost_micros: money(f.minCost),
    max_cost_micros: money(f.maxCost),
    policy_failed: f.policyFailed,
    cites_stale: f.citesStale,
    sort: f.sort,
  };
}

export function hasActiveFilters(f: RunFilters): boolean {
  return filtersToParams({ ...f, sort: 'time_desc' }).toString() !== '';
}

// ---- datetime-local inputs (user's zone) <-> RFC 3339 UTC ----

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "2026-11-25T16:30" (as a datetime-local input gives it, in the user's zone) → "2026-11-25T15:30:00.000Z". */
export function localInputToRfc3339(v: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(v.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? '0'));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** RFC 3339 → the datetime-local value in the user's zone ("2026-11-25T16:30"), or ''. */
export function rfc3339ToLocalInput(v: string): string {
  if (!v) return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return '';
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getSeconds() ? `${base}:${pad(d.getSeconds())}` : base;
}
