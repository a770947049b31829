import type { ReactNode } from 'react';
import { listBudgets, type Budget } from '../../api';
import { useLoad } from '../../app/useLoad';
import { Money } from '../../components/Money';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { ViewHeader } from '../../components/ViewHeader';
import { formatDuration } from '../../lib/time';

function Limits({ b }: { b: Budget }) {
  const l = b.limits;
  const parts: ReactNode[] = [];
  if (l.max_cost_micros != null)
    parts.push(
      <span key="cost">
        cost ≤ <Money micros={l.max_cost_micros} />
      </span>,
    );
  if (l.max_tool_calls != null) parts.push(<span key="calls">tool calls ≤ {l.max_tool_calls}/run</span>);
  if (l.max_wall_ms != null) parts.push(<span key="wall">wall time ≤ {formatDuration(l.max_wall_ms)}/run</span>);
  if (l.max_runs != null) parts.push(<span key="runs">runs ≤ {l.max_runs}</span>);
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

export function BudgetsView() {
  const { data, loading, loadedAt } = useLoad(listBudgets, 'budgets', 'list_budgets');
  const items = data ?? [];
  return (
    <section className="view">
      <ViewHeader title="Budgets" loadedAt={loadedAt} />
      <p className="muted note">Caps the backends enforce. Read-only for now.</p>
      {loading && !data ? <p className="muted">Loading…</p> : null}
      {data && items.length === 0 ? <p className="empty">No budget caps.</p> : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="grid">
            <thead>
              <tr>
                <th>Backend</th>
                <th>Scope</th>
                <th>Period</th>
                <th>Limits</th>
                <th>Enforcement</th>
                <th className="num">Alert at</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map(({ backend_id, backend_name, budget: b }) => (
                <tr key={`${backend_id}/${b.budget_id}`} data-testid="budget-row" data-budget-id={b.budget_id}>
                  <td>
                    <SafeText text={backend_name} />
                  </td>
                  <td data-col="scope">
                    {b.scope.kind}
                    {b.scope.value ? (
                      <>
                        : <code><SafeText text={b.scope.value} /></code>
                      </>
                    ) : null}
                  </td>
                  <td data-col="period">
                    {b.period === 'run' ? 'per run' : b.period}
                    {b.period !== 'run' ? (
                      <span className="muted">
                        {' '}
                        (<SafeText text={b.time_zone} />)
                      </span>
                    ) : null}
                  </td>
                  <td data-col="limits">
                    <Limits b={b} />
                  </td>
                  <td data-col="enforcement">
                    <span className={`badge enforce-${b.enforcement}`}>{b.enforcement}</span>
                  </td>
                  <td className="num">{b.alert_at_percent}%</td>
                  <td>
                    <TimeText value={b.updated_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
