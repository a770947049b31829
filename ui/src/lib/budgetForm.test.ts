import { describe, expect, it } from 'vitest';
import type { Budget } from '../api/types';
import {
  budgetToDraft,
  isKnownTimeZone,
  newBudgetId,
  newDraft,
  parseDraft,
  parsePositiveInt,
  validateDrafts,
  type BudgetDraft,
} from './budgetForm';

const saved: Budget = {
  budget_id: 'bud_backend_daily',
  scope: { kind: 'backend' },
  period: 'day',
  time_zone: 'UTC',
  limits: { max_cost_micros: 25_000_000 },
  enforcement: 'soft',
  alert_at_percent: 80,
  updated_at: '2026-08-27T00:00:00Z',
};

const draft = (patch: Partial<BudgetDraft> = {}): BudgetDraft => ({ ...newDraft([], 'UTC', 0), ...patch });
const errs = (d: BudgetDraft) => {
  const p = parseDraft(d);
  return p.ok ? [] : p.errors.map((e) => `${e.field}: ${e.message}`);
};

describe('parsePositiveInt', () => {
  it('parses whole numbers with optional grouping', () => {
    expect(parsePositiveInt('')).toEqual({ ok: true, value: null });
    expect(parsePositiveInt(' 12 ')).toEqual({ ok: true, value: 12 });
    expect(parsePositiveInt('30,000')).toEqual({ ok: true, value: 30000 });
    expect(parsePositiveInt('007')).toEqual({ ok: true, value: 7 });
  });
  it('refuses zero, fractions, negatives, junk and overflow', () => {
    expect(parsePositiveInt('0').ok).toBe(false);
    expect(parsePositiveInt('1.5').ok).toBe(false);
    expect(parsePositiveInt('-3').ok).toBe(false);
    expect(parsePositiveInt('1e3').ok).toBe(false);
    expect(parsePositiveInt('4294967296', 4_294_967_295).ok).toBe(false);
    expect(parsePositiveInt('4294967295', 4_294_967_295)).toEqual({ ok: true, value: 4_294_967_295 });
    expect(parsePositiveInt('99999999999999999999').ok).toBe(false);
  });
});

describe('time zones', () => {
  it('accepts IANA names and refuses offsets and junk', () => {
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
    expect(isKnownTimeZone('+01:00')).toBe(false);
    expect(isKnownTimeZone('')).toBe(false);
  });
});

describe('parseDraft', () => {
  it('round-trips a saved cap exactly', () => {
    const d = budgetToDraft(saved);
    expect(d.maxCost).toBe('25');
    const p = parseDraft(d);
    expect(p.ok && p.budget).toEqual({
      budget_id: 'bud_backend_daily',
      scope: { kind: 'backend' },
      period: 'day',
      time_zone: 'UTC',
      limits: { max_cost_micros: 25_000_000 },
      enforcement: 'soft',
      alert_at_percent: 80,
    });
  });

  it('parses dollars to exact micros with string math', () => {
    const p = parseDraft(draft({ maxCost: '$0.01', enforcement: 'hard' }));
    expect(p.ok && p.budget.limits).toEqual({ max_cost_micros: 10_000 });
    const q = parseDraft(draft({ maxCost: '1,234.000001' }));
    expect(q.ok && q.budget.limits.max_cost_micros).toBe(1_234_000_001);
    const r = parseDraft(draft({ maxCost: '0.1' }));
    expect(r.ok && r.budget.limits.max_cost_micros).toBe(100_000);
  });

  it('needs at least one limit', () => {
    expect(errs(draft())).toEqual(['limits: a cap needs at least one limit (cost, tool calls, wall time or runs)']);
  });

  it('refuses zero and negative limits and too many decimals', () => {
    expect(errs(draft({ maxCost: '0' }))).toContain('maxCost: max cost must be above zero');
    expect(errs(draft({ maxCost: '-1' }))[0]).toMatch(/^maxCost: max cost: must not be negative/);
    expect(errs(draft({ maxCost: '0.0000001' }))[0]).toMatch(/six decimals/);
    expect(errs(draft({ maxToolCalls: '0' }))).toContain('maxToolCalls: max tool calls: must be above zero');
    expect(errs(draft({ maxWallMs: 'abc' }))).toContain('maxWallMs: max wall time (ms): must be a whole number');
  });

  it('needs a subject for workflow, team and user scopes, and trims it', () => {
    expect(errs(draft({ scopeKind: 'workflow', scopeValue: '  ', maxCost: '1' }))).toEqual(['scopeValue: a workflow cap must name its workflow']);
    const p = parseDraft(draft({ scopeKind: 'team', scopeValue: ' ops ', maxCost: '1' }));
    expect(p.ok && p.budget.scope).toEqual({ kind: 'team', value: 'ops' });
    // A backend scope drops any leftover subject text.
    const q = parseDraft(draft({ scopeKind: 'backend', scopeValue: 'stale', maxCost: '1' }));
    expect(q.ok && q.budget.scope).toEqual({ kind: 'backend' });
  });

  it('refuses max runs on a per-run cap', () => {
    expect(errs(draft({ period: 'run', maxRuns: '5', maxCost: '1' }))).toEqual(['maxRuns: a per-run cap cannot limit the number of runs']);
  });

  it('checks the alert threshold and the time zone', () => {
    expect(errs(draft({ maxCost: '1', alert: '0' }))[0]).toMatch(/^alert: .*1 to 100/);
    expect(errs(draft({ maxCost: '1', alert: '101' }))[0]).toMatch(/^alert:/);
    expect(errs(draft({ maxCost: '1', alert: '50.5' }))[0]).toMatch(/^alert:/);
    expect(errs(draft({ maxCost: '1', alert: '100' }))).toEqual([]);
    expect(errs(draft({ maxCost: '1', timeZone: 'Mars/Olympus' }))[0]).toMatch(/^timeZone: unknown time zone "Mars\/Olympus"/);
  });

  it('warns that per-run limits are not enforced on calendar caps', () => {
    const p = parseDraft(draft({ maxToolCalls: '5' }));
    expect(p.ok && p.warnings.length).toBeGreaterThan(0);
  });
});

describe('validateDrafts', () => {
  it('builds the full set, keeping updated_at of unchanged caps', () => {
    const now = new Date('2026-11-25T16:00:00Z');
    const v = validateDrafts([budgetToDraft(saved), draft({ maxCost: '0.01', enforcement: 'hard' })], now);
    expect(v.setErrors).toEqual([]);
    expect(v.budgets).toHaveLength(2);
    expect(v.budgets?.[0]).toEqual(saved);
    expect(v.budgets?.[1]).toMatchObject({ scope: { kind: 'backend' }, period: 'day', enforcement: 'hard', limits: { max_cost_micros: 10_000 }, updated_at: now.toISOString() });
  });

  it('stamps edited caps with now', () => {
    const now = new Date('2026-11-25T16:00:00Z');
    const v = validateDrafts([{ ...budgetToDraft(saved), maxCost: '30' }], now);
    expect(v.budgets?.[0]?.updated_at).toBe(now.toISOString());
    expect(v.budgets?.[0]?.limits.max_cost_micros).toBe(30_000_000);
  });

  it('refuses two caps with the same scope, period and enforcement', () => {
    const v = validateDrafts([budgetToDraft(saved), draft({ maxCost: '1' })]);
    expect(v.budgets).toBeNull();
    expect(v.setErrors[0]).toMatch(/caps 1 and 2 both set a soft day cap on whole backend; merge them/);
  });

  it('allows the same scope with a different enforcement or period', () => {
    expect(validateDrafts([budgetToDraft(saved), draft({ maxCost: '1', enforcement: 'hard' })]).budgets).not.toBeNull();
    expect(validateDrafts([budgetToDraft(saved), draft({ maxCost: '1', period: 'week' })]).budgets).not.toBeNull();
  });

  it('reports row errors by draft key and yields no set', () => {
    const bad = draft({ key: 'k1' });
    const v = validateDrafts([bad]);
    expect(v.budgets).toBeNull();
    expect(v.rowErrors.k1?.[0]?.field).toBe('limits');
  });

  it('an empty set is valid (removes every cap)', () => {
    expect(validateDrafts([]).budgets).toEqual([]);
  });

  it('new ids never collide', () => {
    const a = newBudgetId([], 1000);
    expect(newBudgetId([a], 1000)).not.toBe(a);
  });
});
