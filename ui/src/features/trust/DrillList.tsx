import type { DecisionRow } from '../../api/types';
import { Clipped } from '../../components/Clipped';
import { TimeText } from '../../components/TimeText';
import { ms } from './format';

/** The decisions behind a number. */
export function DrillList({ title, rows, onOpenRun, onClose }: { title: string; rows: DecisionRow[] | null; onOpenRun: (backendId: string, runId: string) => void; onClose: () => void }) {
  return (
    <section className="detail-section card" data-testid="trust-drill">
      <header className="card-head">
        <h3>
          <Clipped text={title} />
          {rows ? <span className="muted small"> · {rows.length === 500 ? 'first 500' : rows.length} decisions</span> : null}
        </h3>
        <button type="button" className="btn small" data-testid="trust-drill-close" onClick={onClose}>
          Close
        </button>
      </header>
      {rows === null ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted">No decisions.</p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th>Decided</th>
                <th>Workflow</th>
                <th>Action kind</th>
                <th>Reviewer</th>
                <th>Decision</th>
                <th className="num">Time to decide</th>
                <th>Corrected</th>
                <th className="num">Citations opened</th>
                <th>Status now</th>
                <th>Second opinion</th>
                <th>Run</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={`${d.backend_id}/${d.action_id}/${d.id}`} data-testid="trust-drill-row" data-action-id={d.action_id}>
                  <td>
                    <TimeText value={d.decided_at} compact />
                  </td>
                  <td>
                    <Clipped text={d.workflow} />
                  </td>
                  <td>
                    <Clipped text={d.action_kind} />
                  </td>
                  <td>
                    <Clipped text={d.reviewer || '—'} />
                  </td>
                  <td>
                    <span className="tag">
                      <Clipped text={d.decision} />
                    </span>
                    {d.too_fast ? <span className="badge warn">too fast</span> : null}
                  </td>
                  <td className="num">{ms(d.time_to_decide_ms)}</td>
                  <td>
                    <Clipped text={d.corrected_fields.join(', ')} />
                  </td>
                  <td className="num">{d.citation_opens}</td>
                  <td>
                    <Clipped text={d.action_status} />
                  </td>
                  <td>
                    {d.second_would_approve === null ? (
                      '—'
                    ) : (
                      <>
                        {d.second_would_approve ? 'would approve' : 'would not approve'}
                        {d.second_disagrees ? <span className="badge fail">disagrees</span> : null}
                      </>
                    )}
                  </td>
                  <td>
                    <button type="button" className="link-button" onClick={() => onOpenRun(d.backend_id, d.run_id)}>
                      <Clipped text={d.run_id} />
                    </button>
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
