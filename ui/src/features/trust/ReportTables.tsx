import type { AutoExecuted, AutonomyLevel, Dimension, Metric, TrustGroup, TrustStats } from '../../api/types';
import { Clipped } from '../../components/Clipped';
import { TimeText } from '../../components/TimeText';
import { levelLabel } from './Autonomy';
import { COLUMNS, ms } from './format';

/** Opens the decisions behind a number: in `group` (null: all) that `metric` counts. */
export type OnDrill = (group: [Dimension, string] | null, metric: Metric) => void;

export function Num({ n, onClick, testId }: { n: number; onClick: () => void; testId: string }) {
  return (
    <button type="button" className="link-button num" data-testid={testId} data-count={n} onClick={onClick}>
      {n.toLocaleString()}
    </button>
  );
}

/** A time-to-decide percentile; opens the decisions decided within it (at most `v` ms). */
export function Percentile({ v, testId, onOpen }: { v: number | null; testId: string; onOpen: (m: Metric) => void }) {
  if (v === null) return <>{ms(v)}</>;
  return (
    <button type="button" className="link-button num" data-testid={testId} onClick={() => onOpen({ metric: 'time_to_decide', from_ms: 0, to_ms: v + 1 })}>
      {ms(v)}
    </button>
  );
}

export function StatCells({ s, group, onDrill }: { s: TrustStats; group: [Dimension, string] | null; onDrill: OnDrill }) {
  return (
    <>
      {COLUMNS.map((c) => (
        <td key={c.id} className="num">
          <Num n={c.count(s)} testId={`drill-${c.id}`} onClick={() => onDrill(group, c.metric)} />
          {c.rate ? <span className="muted small"> {c.rate(s)}</span> : null}
        </td>
      ))}
      <td className="num">
        <Percentile v={s.p50_ms} testId="drill-p50" onOpen={(m) => onDrill(group, m)} />
      </td>
      <td className="num">
        <Percentile v={s.p90_ms} testId="drill-p90" onOpen={(m) => onDrill(group, m)} />
      </td>
    </>
  );
}

function Head({ first }: { first: string }) {
  return (
    <thead>
      <tr>
        <th>{first}</th>
        {COLUMNS.map((c) => (
          <th key={c.id} className="num">
            {c.label}
          </th>
        ))}
        <th className="num">p50</th>
        <th className="num">p90</th>
      </tr>
    </thead>
  );
}

/** The totals row, with the fields corrected most (each clickable). */
export function Totals({ s, onDrill }: { s: TrustStats; onDrill: OnDrill }) {
  return (
    <div className="table-scroll" data-testid="trust-totals">
      <table className="table">
        <Head first="" />
        <tbody>
          <tr>
            <th>All</th>
            <StatCells s={s} group={null} onDrill={onDrill} />
          </tr>
        </tbody>
      </table>
      {s.top_corrected_fields.length > 0 ? (
        <p className="small" data-testid="trust-top-fields">
          Fields corrected most:{' '}
          {s.top_corrected_fields.map((f, i) => (
            <span key={f.field}>
              {i > 0 ? ', ' : null}
              <button type="button" className="link-button" onClick={() => onDrill(null, { metric: 'corrected', field: f.field })}>
                <Clipped text={f.field} /> ({f.count})
              </button>
            </span>
          ))}
        </p>
      ) : null}
    </div>
  );
}

/** One dimension's table: a row per group. */
export function GroupTable({ dim, label, groups, onDrill }: { dim: Dimension; label: string; groups: TrustGroup[]; onDrill: OnDrill }) {
  return (
    <section className="detail-section" data-testid={`trust-by-${dim}`}>
      <h3>{label}</h3>
      {groups.length === 0 ? (
        <p className="muted">No decisions.</p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <Head first={dim === 'week' ? 'Week of' : dim === 'action_kind' ? 'Action kind' : dim === 'reviewer' ? 'Reviewer' : 'Workflow'} />
            <tbody>
              {groups.map((g) => (
                <tr key={g.key} data-testid="trust-group" data-key={g.key}>
                  <th>{dim === 'week' ? <TimeText value={g.key} compact /> : <Clipped text={g.key || '(none)'} />}</th>
                  <StatCells s={g.stats} group={[dim, g.key]} onDrill={onDrill} />
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Writes executed without review at an autonomy level, per workflow and level, each count
 * opening them. They are no reviewer's decision, so no other number of the view holds them. */
export function AutoExecutedTable({ items, onDrill }: { items: AutoExecuted[]; onDrill: OnDrill }) {
  return (
    <section className="detail-section" data-testid="trust-auto-executed">
      <h3>Executed without review (autonomy level)</h3>
      {items.length === 0 ? (
        <p className="muted">None: a reviewer decided every write in the period.</p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th>Workflow</th>
                <th>Autonomy level</th>
                <th className="num">Writes</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={`${i.workflow}/${i.level}`} data-testid="trust-auto-row" data-workflow={i.workflow} data-level={i.level}>
                  <th>
                    <Clipped text={i.workflow || '(none)'} />
                  </th>
                  <td>
                    <Clipped text={levelLabel(i.level as AutonomyLevel)} />
                  </td>
                  <td className="num">
                    <Num n={i.count} testId="drill-auto-executed" onClick={() => onDrill(['workflow', i.workflow], { metric: 'auto_executed', level: i.level })} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
