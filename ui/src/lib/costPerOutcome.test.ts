import { describe, expect, it } from 'vitest';
import type { DayPoint } from '../api/types';
import { costPer, costPerOutcome, costPerOutcomeTotal } from './costPerOutcome';

const p = (workflow: string, model: string, o: Partial<DayPoint>): DayPoint => ({
  day: '2026-11-24T00:00:00Z',
  workflow,
  model,
  runs: 0,
  successes: 0,
  escalations: 0,
  failures: 0,
  cost_micros: 0,
  cost_per_success: null,
  ...o,
});

describe('costPer', () => {
  it('divides integer micros, truncating; null with no outcomes', () => {
    expect(costPer(100, 3)).toBe(33);
    expect(costPer(10_000_000, 4)).toBe(2_500_000);
    expect(costPer(5, 0)).toBeNull();
    expect(costPer(Number.MAX_SAFE_INTEGER, 1)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('costPerOutcome', () => {
  const points = [
    p('refund', 'm1', { runs: 4, successes: 2, escalations: 1, failures: 1, cost_micros: 100_001 }),
    p('refund', 'm2', { day: '2026-11-25T00:00:00Z', runs: 3, successes: 1, escalations: 0, failures: 2, cost_micros: 50_000 }),
    p('triage', 'm1', { runs: 2, successes: 0, escalations: 2, failures: 0, cost_micros: 7 }),
  ];

  it('by workflow: sums over days and models, then divides', () => {
    const rows = costPerOutcome(points, 'workflow');
    expect(rows.map((r) => r.key)).toEqual(['refund', 'triage']);
    expect(rows[0]).toEqual({
      key: 'refund',
      runs: 7,
      successes: 3,
      escalations: 1,
      failures: 3,
      cost_micros: 150_001,
      per_success: 50_000,
      per_escalation: 150_001,
      per_failure: 50_000,
    });
    expect(rows[1]).toMatchObject({ per_success: null, per_escalation: 3, per_failure: null });
  });

  it('by model', () => {
    const rows = costPerOutcome(points, 'model');
    expect(rows.map((r) => [r.key, r.cost_micros, r.per_success])).toEqual([
      ['m1', 100_008, 50_004],
      ['m2', 50_000, 50_000],
    ]);
  });

  it('total', () => {
    expect(costPerOutcomeTotal(points)).toMatchObject({ runs: 9, cost_micros: 150_008, per_success: 50_002, per_escalation: 50_002, per_failure: 50_002 });
    expect(costPerOutcomeTotal([])).toMatchObject({ runs: 0, per_success: null });
  });
});
