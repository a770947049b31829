import type { Budget } from '../../api/types';
import type { BudgetSpend } from '../../api/types';
import { Money } from '../../components/Money';
import { TimeText } from '../../components/TimeText';
import { barWidth, forecastExceeds, measuredMicros, percentText, spendLevel } from '../../lib/budgetSpend';

/** Spend against a cap's cost limit: a bar with % used and the alert-threshold marker. */
export function SpendBar({ b, s }: { b: Budget; s: BudgetSpend }) {
  const limit = b.limits.max_cost_micros ?? null;
  const used = measuredMicros(b, s);
  if (limit == null) {
    return (
      <span className="muted">
        <Money micros={s.cost_micros} /> spent (no cost limit)
      </span>
    );
  }
  const pct = percentText(used, limit);
  const level = spendLevel(used, limit, b.alert_at_percent);
  return (
    <div className="spend" data-testid="budget-spend" data-level={level} data-used-micros={used}>
      <div className="spend-text">
        {b.period === 'run' ? 'largest run ' : ''}
        <Money micros={used} /> of <Money micros={limit} precision="exact" />
        {pct ? <strong className={`spend-pct level-${level}`}> {pct}</strong> : null}
      </div>
      <div
        className="spend-bar"
        role="meter"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(barWidth(used, limit))}
        aria-label={`${pct ?? ''} of the cost limit used`}
      >
        <span className={`spend-fill level-${level}`} style={{ width: `${barWidth(used, limit)}%` }} />
        <span
          className={`spend-marker ${b.enforcement}`}
          style={{ left: `${Math.min(100, b.alert_at_percent)}%` }}
          title={`${b.enforcement === 'soft' ? 'Soft alert' : 'Alert'} at ${b.alert_at_percent} %`}
          data-testid="budget-alert-marker"
        />
      </div>
    </div>
  );
}

/** Burn-rate forecast to period end (calendar periods) or the 30-day window note (per run). */
export function ForecastCell({ b, s }: { b: Budget; s: BudgetSpend }) {
  if (b.period === 'run') {
    return (
      <span className="muted small">
        per run; last 30 days, {s.runs.toLocaleString('en-US')} runs
      </span>
    );
  }
  const limit = b.limits.max_cost_micros ?? null;
  const over = forecastExceeds(s, limit);
  return (
    <span data-testid="budget-forecast" data-over={over ? 'true' : 'false'}>
      {s.forecast_micros == null ? <span className="muted">—</span> : <Money micros={s.forecast_micros} />}
      <span className="muted small">
        {' '}
        by <TimeText value={s.period_end} compact />
      </span>
      {over ? <span className="badge level-over"> over the limit at this rate</span> : null}
    </span>
  );
}
