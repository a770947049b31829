// The budget editor's form model: text fields as typed → validated Budget objects, with the
// same rules the Rust validator (core::budget::validate_set) and the backend apply, so problems
// show before saving. Money is parsed with string math (lib/moneyInput), never floats.
import type { Budget, BudgetLimits, Enforcement, Period, ScopeKind } from '../api/types';
import { microsToDollarInput, parseDollarsToMicros } from './moneyInput';

export const SCOPE_KINDS: readonly ScopeKind[] = ['backend', 'workflow', 'team', 'user'];
export const PERIODS: readonly Period[] = ['run', 'day', 'week', 'month'];
export const ENFORCEMENTS: readonly Enforcement[] = ['hard', 'soft'];

/** Largest value of the backend's u32 limits (tool calls, runs). */
export const MAX_U32 = 4_294_967_295;

/** One cap as the form holds it: every number is the text the user typed. */
export interface BudgetDraft {
  /** Stable key for React and error lookup. */
  key: string;
  budget_id: string;
  /** The cap as saved, or null for a new one. */
  original: Budget | null;
  scopeKind: ScopeKind;
  scopeValue: string;
  period: Period;
  timeZone: string;
  /** Dollars, e.g. "0.01" or "$1,250". */
  maxCost: string;
  maxToolCalls: string;
  maxWallMs: string;
  maxRuns: string;
  enforcement: Enforcement;
  /** Percent, 1-100. */
  alert: string;
}

export type DraftField =
  | 'scopeKind'
  | 'scopeValue'
  | 'period'
  | 'timeZone'
  | 'maxCost'
  | 'maxToolCalls'
  | 'maxWallMs'
  | 'maxRuns'
  | 'enforcement'
  | 'alert'
  | 'limits';

export interface FieldError {
  field: DraftField;
  message: string;
}

export function budgetToDraft(b: Budget): BudgetDraft {
  const l = b.limits;
  return {
    key: `saved:${b.budget_id}`,
    budget_id: b.budget_id,
    original: b,
    scopeKind: b.scope.kind,
    scopeValue: b.scope.value ?? '',
    period: b.period,
    timeZone: b.time_zone,
    maxCost: l.max_cost_micros != null ? microsToDollarInput(l.max_cost_micros) : '',
    maxToolCalls: l.max_tool_calls != null ? String(l.max_tool_calls) : '',
    maxWallMs: l.max_wall_ms != null ? String(l.max_wall_ms) : '',
    maxRuns: l.max_runs != null ? String(l.max_runs) : '',
    enforcement: b.enforcement,
    alert: String(b.alert_at_percent),
  };
}

/** A fresh id not among `taken`: `bud_<base36 time>_<n>`. */
export function newBudgetId(taken: Iterable<string>, now: number = Date.now()): string {
  const used = new Set(taken);
  const base = `bud_${now.toString(36)}`;
  for (let i = 1; ; i++) {
    const id = `${base}_${i}`;
    if (!used.has(id)) return id;
  }
}

/** A new cap for the whole backend, per day in `timeZone`, soft at 80 %. */
export function newDraft(taken: Iterable<string>, timeZone: string, now: number = Date.now()): BudgetDraft {
  const id = newBudgetId(taken, now);
  return {
    key: `new:${id}`,
    budget_id: id,
    original: null,
    scopeKind: 'backend',
    scopeValue: '',
    period: 'day',
    timeZone,
    maxCost: '',
    maxToolCalls: '',
    maxWallMs: '',
    maxRuns: '',
    enforcement: 'soft',
    alert: '80',
  };
}

/** The user's IANA zone, or UTC. */
export function userTimeZone(): string {
  try {
    const z = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    return z && isKnownTimeZone(z) ? z : 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * Whether `tz` is an IANA zone name (`Europe/Berlin`, `UTC`, `Etc/GMT+5`). Offsets such as
 * `+01:00`, which some engines accept but the backend does not, are refused.
 */
export function isKnownTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export type ParsedCount = { ok: true; value: number | null } | { ok: false; error: string };

/** "12", "1,000", " 30000 " → a positive integer; empty → null (no limit). */
export function parsePositiveInt(input: string, max: number = Number.MAX_SAFE_INTEGER): ParsedCount {
  const s = input.trim();
  if (s === '') return { ok: true, value: null };
  if (!/^(?:\d{1,3}(?:,\d{3})+|\d+)$/.test(s)) return { ok: false, error: 'must be a whole number' };
  const digits = s.replace(/,/g, '').replace(/^0+(?=\d)/, '');
  if (digits.length > 16 || BigInt(digits) > BigInt(max)) return { ok: false, error: `at most ${max.toLocaleString('en-US')}` };
  const v = Number(digits);
  if (v <= 0) return { ok: false, error: 'must be above zero' };
  return { ok: true, value: v };
}

/** The cap a draft describes (without `updated_at`), or the problems with it. */
export function parseDraft(
  d: BudgetDraft,
): { ok: true; budget: Omit<Budget, 'updated_at'>; warnings: string[] } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  const value = d.scopeValue.trim();
  if (!SCOPE_KINDS.includes(d.scopeKind)) errors.push({ field: 'scopeKind', message: 'unknown scope' });
  if (d.scopeKind !== 'backend' && value === '') {
    errors.push({ field: 'scopeValue', message: `a ${d.scopeKind} cap must name its ${d.scopeKind}` });
  }
  if (!PERIODS.includes(d.period)) errors.push({ field: 'period', message: 'unknown period' });
  const tz = d.timeZone.trim();
  if (tz === '') errors.push({ field: 'timeZone', message: 'time zone is required (IANA name, e.g. Europe/Berlin)' });
  else if (!isKnownTimeZone(tz)) errors.push({ field: 'timeZone', message: `unknown time zone "${tz}" (use an IANA name such as Europe/Berlin or UTC)` });
  if (!ENFORCEMENTS.includes(d.enforcement)) errors.push({ field: 'enforcement', message: 'hard or soft' });

  const limits: BudgetLimits = {};
  const cost = parseDollarsToMicros(d.maxCost);
  if (!cost.ok) errors.push({ field: 'maxCost', message: `max cost: ${cost.error}` });
  else if (cost.micros !== null) {
    if (cost.micros <= 0) errors.push({ field: 'maxCost', message: 'max cost must be above zero' });
    else limits.max_cost_micros = cost.micros;
  }
  const counts: [DraftField, string, string, number, keyof BudgetLimits][] = [
    ['maxToolCalls', d.maxToolCalls, 'max tool calls', MAX_U32, 'max_tool_calls'],
    ['maxWallMs', d.maxWallMs, 'max wall time (ms)', Number.MAX_SAFE_INTEGER, 'max_wall_ms'],
    ['maxRuns', d.maxRuns, 'max runs', MAX_U32, 'max_runs'],
  ];
  for (const [field, text, label, max, key] of counts) {
    const p = parsePositiveInt(text, max);
    if (!p.ok) errors.push({ field, message: `${label}: ${p.error}` });
    else if (p.value !== null) limits[key] = p.value;
  }
  const anyTyped = [d.maxCost, d.maxToolCalls, d.maxWallMs, d.maxRuns].some((s) => s.trim() !== '');
  if (!anyTyped) {
    errors.push({ field: 'limits', message: 'a cap needs at least one limit (cost, tool calls, wall time or runs)' });
  }
  if (d.period === 'run' && d.maxRuns.trim() !== '') {
    errors.push({ field: 'maxRuns', message: 'a per-run cap cannot limit the number of runs' });
  }
  const alertText = d.alert.trim();
  if (!/^\d{1,3}$/.test(alertText) || Number(alertText) < 1 || Number(alertText) > 100) {
    errors.push({ field: 'alert', message: 'alert threshold must be a whole percent from 1 to 100' });
  }
  if (errors.length > 0) return { ok: false, errors };

  if (d.period !== 'run' && (limits.max_tool_calls != null || limits.max_wall_ms != null)) {
    warnings.push('tool-call and wall-time limits apply to each run; on a calendar-period cap the backend enforces only cost and run count');
  }
  if (d.period !== 'run' && limits.max_cost_micros == null && limits.max_runs == null) {
    warnings.push('this calendar-period cap has no cost or run limit');
  }
  const budget: Omit<Budget, 'updated_at'> = {
    budget_id: d.budget_id,
    scope: d.scopeKind === 'backend' ? { kind: 'backend' } : { kind: d.scopeKind, value: value },
    period: d.period,
    time_zone: tz,
    limits,
    enforcement: d.enforcement,
    alert_at_percent: Number(alertText),
  };
  return { ok: true, budget, warnings };
}

export interface SetValidation {
  /** The full new set, ready for save_budgets, when every cap is valid. */
  budgets: Budget[] | null;
  /** Problems per draft key. */
  rowErrors: Record<string, FieldError[]>;
  /** Problems across caps (duplicates). */
  setErrors: string[];
  warnings: Record<string, string[]>;
}

export function scopeLabel(kind: ScopeKind, value: string | null | undefined): string {
  return kind === 'backend' ? 'whole backend' : `${kind} ${value ?? ''}`.trim();
}

/** Same fields (ignoring `updated_at`). */
export function sameBudget(a: Omit<Budget, 'updated_at'>, b: Omit<Budget, 'updated_at'>): boolean {
  const norm = (x: Omit<Budget, 'updated_at'>) =>
    JSON.stringify([
      x.budget_id,
      x.scope.kind,
      x.scope.kind === 'backend' ? null : x.scope.value ?? null,
      x.period,
      x.time_zone,
      x.limits.max_cost_micros ?? null,
      x.limits.max_tool_calls ?? null,
      x.limits.max_wall_ms ?? null,
      x.limits.max_runs ?? null,
      x.enforcement,
      x.alert_at_percent,
    ]);
  return norm(a) === norm(b);
}

/**
 * Validates the whole set: each cap, unique ids, and no two caps with the same scope, period
 * and enforcement. Unchanged caps keep their `updated_at`; changed and new ones get `now`.
 */
export function validateDrafts(drafts: readonly BudgetDraft[], now: Date = new Date()): SetValidation {
  const rowErrors: Record<string, FieldError[]> = {};
  const warnings: Record<string, string[]> = {};
  const setErrors: string[] = [];
  const out: Budget[] = [];
  const ids = new Map<string, string>();
  const slots = new Map<string, BudgetDraft>();
  drafts.forEach((d, i) => {
    const p = parseDraft(d);
    if (!p.ok) {
      rowErrors[d.key] = p.errors;
      return;
    }
    if (p.warnings.length) warnings[d.key] = p.warnings;
    const b = p.budget;
    if (ids.has(b.budget_id)) setErrors.push(`cap ${i + 1}: budget id ${b.budget_id} appears twice`);
    ids.set(b.budget_id, d.key);
    const slot = JSON.stringify([b.scope.kind, b.scope.value ?? null, b.period, b.enforcement]);
    const other = slots.get(slot);
    if (other) {
      const msg = `caps ${drafts.indexOf(other) + 1} and ${i + 1} both set a ${b.enforcement} ${b.period === 'run' ? 'per-run' : b.period} cap on ${scopeLabel(b.scope.kind, b.scope.value)}; merge them into one cap`;
      setErrors.push(msg);
      rowErrors[d.key] = [...(rowErrors[d.key] ?? []), { field: 'limits', message: msg }];
    } else {
      slots.set(slot, d);
    }
    const updated_at = d.original && sameBudget(d.original, b) ? d.original.updated_at : now.toISOString();
    out.push({ ...b, updated_at });
  });
  const ok = Object.keys(rowErrors).length === 0 && setErrors.length === 0;
  return { budgets: ok ? out : null, rowErrors, setErrors, warnings };
}
