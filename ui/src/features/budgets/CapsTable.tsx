import type { ReactNode } from 'react';
import type { Budget } from '../../api/types';
import type { BudgetWithSpend } from '../../api/types';
import { Money } from '../../components/Money';
import { TimeText } from '../../components/TimeText';
import { formatDuration } from '../../lib/time';
import { ForecastCell, SpendBar } from './SpendCell';
import { Clipped } from '../../components/Clipped';

export function Limits({ b }: { b: Budget }) {
  const l = b.limits;
  const parts: ReactNode[] = [];
  if (l.max_cost_micros != null)
    parts.push(
      <span key="cost">
        cost ≤ <Money micros={l.max_cost_micros} precision="exact" />
        {b.period === 'run' ? '/run' : ''}
      </span>,
    );
  if (l.max_tool_calls != null) parts.push(<span key="calls">tool calls ≤ {l.max_tool_calls.toLocaleString('en-US')}/run</span>);
  if (l.max_wall_ms != null)
    parts.push(
      <span key="wall" title={`${l.max_wall_ms} ms`}>
        wall time ≤ {formatDuration(l.max_wall_ms)}/run
      </span>,
    );
  if (l.max_runs != null) parts.push(<span key="runs">runs ≤ {l.max_runs.toLocaleString('en-US')}</span>);
  if (parts.length === 0) return <span className="muted">no limits</span>;
  return (
    <span className="limits">
      {parts.map((p, i) => (
        <span key={i}>
          {i > 0 ? ' · ' : ''}
          {p}
        </span>
      ))}
    </span>
  );
}

export function ScopeText({ b }: { b: Pick<Budget, 'scope'> }) {
  if (b.scope.kind === 'backend') return <>whole backend</>;
  return (
    <>
      {b.scope.kind}:{' '}
      <code>
        <Clipped text={b.scope.value ?? ''} max={80} />
      </code>
    </>
  );
}

/** The caps in force on one backend with spend in the current period. */
export function CapsTable({ items, actions }: { items: BudgetWithSpend[]; actions?: ((item: BudgetWithSpend) => ReactNode) | undefined }) {
  return (
    <div className="table-wrap">
      <table className="grid caps">
        <thead>
          <tr>
            <th>Scope</th>
            <th>Period</th>
            <th>Limits</th>
            <th>Enforcement</th>
            <th className="num">Alert at</th>
            <th>Spend this period</th>
            <th>Forecast to period end</th>
            <th className="num">Runs</th>
            <th className="num">Stopped by a cap</th>
            <th>Updated</th>
            {actions ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {items.map((item) => {
            const { backend_id, budget: b, spend: s } = item;
            return (
            <tr
              key={`${backend_id}/${b.budget_id}`}
              data-testid="budget-row"
              data-budget-id={b.budget_id}
              data-backend-id={backend_id}
              data-scope-kind={b.scope.kind}
              data-period={b.period}
              data-enforcement={b.enforcement}
            >
              <td data-col="scope">
                <ScopeText b={b} />
              </td>
              <td data-col="period">
                {b.period === 'run' ? 'per run' : b.period}
                {b.period !== 'run' ? (
                  <span className="muted">
                    {' '}
                    (<Clipped text={b.time_zone} max={40} />)
                  </span>
                ) : null}
                {s && b.period !== 'run' ? (
                  <div className="muted small" title={`${s.period_start} – ${s.period_end} (UTC)`}>
                    since <TimeText value={s.period_start} compact />
                  </div>
                ) : null}
              </td>
              <td data-col="limits" className="wrap">
                <Limits b={b} />
              </td>
              <td data-col="enforcement">
                <span className={`badge enforce-${b.enforcement}`}>{b.enforcement}</span>
              </td>
              <td className="num" data-col="alert">
                {b.alert_at_percent}%
              </td>
              <td data-col="spend" className="spend-cell">
                {s ? <SpendBar b={b} s={s} /> : <span className="muted">not synced</span>}
              </td>
              <td data-col="forecast" className="wrap">{s ? <ForecastCell b={b} s={s} /> : null}</td>
              <td className="num" data-col="runs">
                {s ? (
                  <>
                    {s.runs.toLocaleString('en-US')}
                    {b.limits.max_runs != null ? <span className="muted"> / {b.limits.max_runs.toLocaleString('en-US')}</span> : null}
                  </>
                ) : null}
              </td>
              <td className="num" data-col="stopped" data-testid="budget-stopped" data-stopped={s?.stopped_runs ?? 0}>
                {s ? <span className={s.stopped_runs > 0 ? 'warn-text' : 'muted'}>{s.stopped_runs.toLocaleString('en-US')}</span> : null}
              </td>
              <td>
                <TimeText value={b.updated_at} compact />
              </td>
              {actions ? <td className="row-actions">{actions(item)}</td> : null}
            </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
