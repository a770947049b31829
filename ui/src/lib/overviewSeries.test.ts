import { describe, expect, it } from 'vitest';
import type { Overview } from '../api/types';
import { DAY_MS, dayRange, shapeOverview } from './overviewSeries';

const d = (s: string) => `${s}T00:00:00Z`;
const since = Date.parse('2026-11-01T00:00:00Z');
const until = Date.parse('2026-11-04T00:00:00Z');

const ov: Overview = {
  points: [
    { day: d('2026-11-01'), workflow: 'triage', model: 'm1', runs: 4, successes: 3, escalations: 1, failures: 0, cost_micros: 100_001, cost_per_success: 33_333 },
    { day: d('2026-11-01'), workflow: 'refunds', model: 'm1', runs: 1, successes: 0, escalations: 0, failures: 1, cost_micros: 7, cost_per_success: null },
    { day: d('2026-11-03'), workflow: 'triage', model: 'm1', runs: 1, successes: 1, escalations: 0, failures: 0, cost_micros: 10, cost_per_success: 10 },
    { day: d('2026-11-03'), workflow: 'triage', model: 'm2', runs: 1, successes: 1, escalations: 0, failures: 0, cost_micros: 20, cost_per_success: 20 },
  ],
  model_changes: [{ workflow: 'triage', day: d('2026-11-03'), from: 'm1', to: 'm2' }],
  stale_by_backend: [],
};

describe('dayRange', () => {
  it('lists each UTC day of the window', () => {
    expect(dayRange(since, until)).toEqual([since, since + DAY_MS, since + 2 * DAY_MS]);
    expect(dayRange(since + 5, since + 6)).toEqual([since]);
  });
});

describe('shapeOverview', () => {
  const s = shapeOverview(ov, since, until);

  it('fills missing days with zero runs and no rate', () => {
    expect(s.days).toHaveLength(3);
    expect(s.runsByWorkflow).toEqual([
      { label: 'refunds', data: [1, 0, 0] },
      { label: 'triage', data: [4, 0, 2] },
    ]);
    expect(s.escalationRate).toEqual([20, null, 0]);
    expect(s.failureRate).toEqual([20, null, 0]);
  });

  it('keeps cost in integer micros per workflow and model', () => {
    expect(s.costByWorkflowModel).toEqual([
      { label: 'refunds · m1', data: [7, 0, 0] },
      { label: 'triage · m1', data: [100_001, 0, 10] },
      { label: 'triage · m2', data: [0, 0, 20] },
    ]);
    expect(s.totals.costMicros).toBe(100_038);
  });

  it('divides cost by successes across models with integer division', () => {
    expect(s.costPerSuccessByWorkflow).toEqual([
      { label: 'refunds', data: [null, null, null] },
      { label: 'triage', data: [33_333, null, 15] },
    ]);
  });

  it('places a marker on the day the model changed', () => {
    expect(s.markers).toEqual([
      { index: 2, day: s.days[2], workflow: 'triage', from: 'm1', to: 'm2', label: 'triage: m1 → m2' },
    ]);
  });

  it('keeps points outside the requested window', () => {
    const wider = shapeOverview(ov, since + DAY_MS, until);
    expect(wider.days[0]).toBe(since);
  });
});
