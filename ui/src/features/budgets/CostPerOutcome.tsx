import { useMemo, useState } from 'react';
import { getOverview } from '../../api/client';
import type { BackendView } from '../../api/types';
import { useLoad } from '../../app/useLoad';
import { Money } from '../../components/Money';
import { costPerOutcome, costPerOutcomeTotal, type OutcomeCost } from '../../lib/costPerOutcome';
import { windowBounds } from '../../lib/overviewSeries';
import { Clipped } from '../../components/Clipped';

const WINDOWS = [7, 30, 90] as const;

function Rows({ rows, by }: { rows: OutcomeCost[]; by: 'workflow' | 'model' | 'total' }) {
  return (
    <>
      {rows.map((r) => (
        <tr key={`${by}:${r.key}`} data-testid="cpo-row" data-by={by} data-key={r.key} className={by === 'total' ? 'total-row' : undefined}>
          <td>{by === 'total' ? <strong>all</strong> : <Clipped text={r.key} max={80} />}</td>
          <td className="num">{r.runs.toLocaleString('en-US')}</td>
          <td className="num">{r.successes.toLocaleString('en-US')}</td>
          <td className="num">{r.escalations.toLocaleString('en-US')}</td>
          <td className="num">{r.failures.toLocaleString('en-US')}</td>
          <td className="num" data-col="cost">
            <Money micros={r.cost_micros} />
          </td>
          <td className="num" data-col="per-success">
            <Money micros={r.per_success} />
          </td>
          <td className="num" data-col="per-escalation">
            <Money micros={r.per_escalation} />
          </td>
          <td className="num" data-col="per-failure">
            <Money micros={r.per_failure} />
          </td>
        </tr>
      ))}
    </>
  );
}

function Table({ title, rows, total }: { title: string; rows: OutcomeCost[]; total: OutcomeCost }) {
  return (
    <div className="table-wrap">
      <table className="grid cpo">
        <thead>
          <tr>
            <th>{title}</th>
            <th className="num">Runs</th>
            <th className="num">Successes</th>
            <th className="num">Escalations</th>
            <th className="num">Failures</th>
            <th className="num">Cost</th>
            <th className="num">Per success</th>
            <th className="num">Per escalation</th>
            <th className="num">Per failure</th>
          </tr>
        </thead>
        <tbody>
          <Rows rows={rows} by={title === 'Workflow' ? 'workflow' : 'model'} />
          <Rows rows={[total]} by="total" />
        </tbody>
      </table>
    </div>
  );
}

/** Cost per successful run, per escalation and per failure over a window, by workflow and model. */
export function CostPerOutcome({ backends }: { backends: BackendView[] }) {
  const [days, setDays] = useState<number>(30);
  const [backendId, setBackendId] = useState('');
  const sinceIso = useMemo(() => windowBounds(days).since.toISOString(), [days]);
  const ov = useLoad(() => getOverview(sinceIso, null, backendId || null), `cpo|${sinceIso}|${backendId}`, 'get_overview');
  const points = ov.data?.points ?? [];
  const byWorkflow = useMemo(() => costPerOutcome(points, 'workflow'), [points]);
  const byModel = useMemo(() => costPerOutcome(points, 'model'), [points]);
  const total = useMemo(() => costPerOutcomeTotal(points), [points]);
  return (
    <section className="detail-section" data-testid="cost-per-outcome">
      <header className="card-head">
        <h2>Cost per outcome</h2>
        <span className="spacer" />
        <label className="field-inline">
          Backend{' '}
          <select data-testid="cpo-backend" value={backendId} onChange={(e) => setBackendId(e.target.value)}>
            <option value="">all</option>
            {backends.map((b) => (
              <option key={b.backend_id} value={b.backend_id}>
                {b.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field-inline">
          Window{' '}
          <select data-testid="cpo-window" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {WINDOWS.map((d) => (
              <option key={d} value={d}>
                last {d} days
              </option>
            ))}
          </select>
        </label>
      </header>
      <p className="muted small note">
        Cost of all runs in the window divided by the number of each outcome (integer micro-dollars, truncated). Failures include runs stopped by a
        budget cap.
      </p>
      {ov.loading && !ov.data ? <p className="muted">Loading…</p> : null}
      {ov.data && points.length === 0 ? <p className="empty">No runs in this window.</p> : null}
      {points.length > 0 ? (
        <div className="cpo-tables">
          <Table title="Workflow" rows={byWorkflow} total={total} />
          <Table title="Model" rows={byModel} total={total} />
        </div>
      ) : null}
    </section>
  );
}
