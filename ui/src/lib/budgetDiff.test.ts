import { describe, expect, it } from 'vitest';
import type { Budget } from '../api/types';
import { describeBudget, diffBudgets } from './budgetDiff';

const a: Budget = {
  budget_id: 'bud_backend_daily',
  scope: { kind: 'backend' },
  period: 'day',
  time_zone: 'UTC',
  limits: { max_cost_micros: 25_000_000 },
  enforcement: 'soft',
  alert_at_percent: 80,
  updated_at: '2026-08-27T00:00:00Z',
};
const b: Budget = {
  budget_id: 'bud_refund_per_run',
  scope: { kind: 'workflow', value: 'refund_request' },
  period: 'run',
  time_zone: 'UTC',
  limits: { max_cost_micros: 30_000, max_tool_calls: 6 },
  enforcement: 'hard',
  alert_at_percent: 80,
  updated_at: '2026-08-27T00:00:00Z',
};

describe('describeBudget', () => {
  it('formats money exactly and names the scope and period', () => {
    expect(Object.fromEntries(describeBudget(b))).toEqual({
      scope: 'workflow refund_request',
      period: 'per run',
      'max cost': '$0.03',
      'max tool calls': '6',
      'max wall time': '—',
      'max runs': '—',
      enforcement: 'hard',
      'alert at': '80 %',
    });
    expect(Object.fromEntries(describeBudget({ ...a, limits: { max_cost_micros: 1_234_567 } }))['max cost']).toBe('$1.234567');
  });
});

describe('diffBudgets', () => {
  it('no changes → empty (updated_at ignored)', () => {
    expect(diffBudgets([a, b], [{ ...a, updated_at: 'x' }, b])).toEqual([]);
  });

  it('reports added, changed (only differing fields) and removed caps', () => {
    const added: Budget = { ...a, budget_id: 'bud_new', enforcement: 'hard', limits: { max_cost_micros: 10_000 } };
    const changed: Budget = { ...a, limits: { max_cost_micros: 30_000_000 }, alert_at_percent: 90, time_zone: 'Europe/Berlin' };
    const d = diffBudgets([a, b], [changed, added]);
    expect(d.map((x) => [x.kind, x.budget_id])).toEqual([
      ['changed', 'bud_backend_daily'],
      ['added', 'bud_new'],
      ['removed', 'bud_refund_per_run'],
    ]);
    expect(d[0]?.fields).toEqual([
      { field: 'period', before: 'per day (UTC)', after: 'per day (Europe/Berlin)' },
      { field: 'max cost', before: '$25.00', after: '$30.00' },
      { field: 'alert at', before: '80 %', after: '90 %' },
    ]);
    expect(d[1]?.label).toBe('hard day cap on whole backend');
    expect(d[1]?.fields).toContainEqual({ field: 'max cost', before: '—', after: '$0.01' });
    expect(d[2]?.fields).toContainEqual({ field: 'max tool calls', before: '6', after: '—' });
  });
});
