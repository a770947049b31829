import { describe, expect, it } from 'vitest';
import type { BudgetSpend } from '../api/types';
import { barWidth, forecastExceeds, measuredMicros, percentText, spendLevel } from './budgetSpend';

const s: BudgetSpend = {
  period_start: '2026-11-25T00:00:00Z',
  period_end: '2026-11-26T00:00:00Z',
  cost_micros: 12_345,
  runs: 3,
  stopped_runs: 1,
  max_run_cost_micros: 9_000,
  forecast_micros: 40_000,
  used_percent: 123.45,
};

describe('budget spend', () => {
  it('measures the period spend, or per run the largest run', () => {
    expect(measuredMicros({ period: 'day' }, s)).toBe(12_345);
    expect(measuredMicros({ period: 'run' }, s)).toBe(9_000);
  });
  it('percent text is exact to a tenth, truncated', () => {
    expect(percentText(12_345, 10_000)).toBe('123.4 %');
    expect(percentText(1, 3)).toBe('33.3 %');
    expect(percentText(0, 10)).toBe('0.0 %');
    expect(percentText(10_000, 25_000_000)).toBe('< 0.1 %');
    expect(percentText(5, null)).toBeNull();
  });
  it('bar width is clamped', () => {
    expect(barWidth(12_345, 10_000)).toBe(100);
    expect(barWidth(2_500, 10_000)).toBe(25);
    expect(barWidth(1, 0)).toBe(0);
  });
  it('levels: alert at the threshold, over at the limit', () => {
    expect(spendLevel(79, 100, 80)).toBe('ok');
    expect(spendLevel(80, 100, 80)).toBe('alert');
    expect(spendLevel(100, 100, 80)).toBe('over');
    expect(spendLevel(5, null, 80)).toBe('ok');
  });
  it('forecast past the limit', () => {
    expect(forecastExceeds(s, 30_000)).toBe(true);
    expect(forecastExceeds(s, 50_000)).toBe(false);
    expect(forecastExceeds({ ...s, forecast_micros: null }, 1)).toBe(false);
  });
});
