// Spend against a cap, for the budget bars: exact percent text from integer micros, bar width,
// and whether the burn-rate forecast runs past the limit.
import type { Budget } from '../api/types';
import type { BudgetSpend } from '../api/types';

/** What the cost limit is measured against: the period's spend, or per run the largest run. */
export function measuredMicros(b: Pick<Budget, 'period'>, s: BudgetSpend): number {
  return b.period === 'run' ? s.max_run_cost_micros : s.cost_micros;
}

/** Percent with one decimal, truncated ("12.3 %"), from integer micros; null without a limit. */
export function percentText(used: number, limit: number | null | undefined): string | null {
  if (limit == null || limit <= 0 || !Number.isInteger(used) || !Number.isInteger(limit)) return null;
  const tenths = (BigInt(used) * 1000n) / BigInt(limit);
  if (tenths === 0n && used > 0) return '< 0.1 %';
  return `${tenths / 10n}.${tenths % 10n} %`;
}

/** Bar fill in percent, 0-100. */
export function barWidth(used: number, limit: number | null | undefined): number {
  if (limit == null || limit <= 0) return 0;
  return Math.max(0, Math.min(100, (used / limit) * 100));
}

export type SpendLevel = 'ok' | 'alert' | 'over';

/** `over` at or past the limit, `alert` at or past the alert threshold. Integer math. */
export function spendLevel(used: number, limit: number | null | undefined, alertPercent: number): SpendLevel {
  if (limit == null || limit <= 0) return 'ok';
  const u = BigInt(used);
  const l = BigInt(limit);
  if (u >= l) return 'over';
  if (u * 100n >= l * BigInt(alertPercent)) return 'alert';
  return 'ok';
}

/** Whether the forecast to period end exceeds the cost limit. */
export function forecastExceeds(s: BudgetSpend, limit: number | null | undefined): boolean {
  return limit != null && s.forecast_micros != null && s.forecast_micros > limit;
}
