import type { ActionItem } from '../../api';
import { RiskBadge, StatusBadge } from '../../components/Badges';
import { TimeText } from '../../components/TimeText';
import { keyFields, statusAt, timeLeft } from '../../lib/queue';
import { Clipped } from '../../components/Clipped';

/** The approval queue: one row per action, most urgent pending item first (sorted by caller). */
export function QueueTable({
  items,
  now,
  onOpen,
}: {
  items: ActionItem[];
  now: Date;
  onOpen: (item: ActionItem) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="grid queue" data-testid="approval-queue">
        <thead>
          <tr>
            <th>Action</th>
            <th>Target</th>
            <th>Risk</th>
            <th>Key values</th>
            <th className="num">Confidence</th>
            <th className="num" title="Failed policy checks">Failed checks</th>
            <th>Requested</th>
            <th>Time left</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((it) => {
            const a = it.action;
            const status = statusAt(it, now);
            const left = timeLeft(a.expires_at, now);
            const failed = a.policy_checks.filter((c) => !c.passed).length;
            return (
              <tr
                key={`${it.backend_id}/${a.action_id}`}
                data-testid="action-row"
                data-action-id={a.action_id}
                data-backend-id={it.backend_id}
                data-kind={a.kind}
                data-status={status}
                className={`clickable row-${status}`}
                tabIndex={0}
                onClick={() => onOpen(it)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && e.target === e.currentTarget) onOpen(it);
                }}
              >
                <td data-col="title" className="wrap">
                  <Clipped text={a.title} max={200} expandable />
                  {a.batch ? (
                    <span
                      className="badge batch-badge"
                      data-testid="batch-badge"
                      title={`request ${a.batch.index + 1} of ${a.batch.size} of one interrupt: the agent resumes when all are decided`}
                    >
                      {' '}
                      {a.batch.index + 1} of {a.batch.size}
                    </span>
                  ) : null}
                  <div className="muted small">
                    <Clipped text={a.kind} max={60} /> · <Clipped text={it.backend_name || it.backend_id} max={60} />
                  </div>
                </td>
                <td data-col="target">
                  <code>
                    <Clipped text={a.target.system} max={40} />/<Clipped text={a.target.record_id} max={60} />
                  </code>
                </td>
                <td data-col="risk">
                  <RiskBadge risk={a.risk} />
                </td>
                <td data-col="values" className="wrap">
                  {keyFields(a.fields).map((f) => (
                    <span key={f.name} className="kv-pill" title={f.label}>
                      <span className="muted">
                        <Clipped text={f.label} max={40} />:
                      </span>{' '}
                      <code>
                        <Clipped text={f.value} max={60} />
                      </code>
                    </span>
                  ))}
                </td>
                <td data-col="confidence" className="num">
                  {a.confidence != null ? `${Math.round(a.confidence * 100)}%` : '—'}
                </td>
                <td data-col="failed_checks" className={failed ? 'num warn-text' : 'num muted'}>
                  {failed}
                </td>
                <td data-col="requested">
                  <TimeText value={a.requested_at} compact />
                </td>
                <td data-col="time_left" className={status === 'pending' && left.urgent ? 'urgent' : undefined}>
                  {status === 'pending' ? (
                    left.text
                  ) : status === 'expired' ? (
                    <strong className="expired-text">expired</strong>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td data-col="status">
                  <StatusBadge status={status} />
                  {a.escalated_to ? (
                    <span className="muted small" data-testid="escalated-to"> → {a.escalated_to}</span>
                  ) : null}
                </td>
                <td>
                  <button
                    type="button"
                    className="btn small"
                    data-testid="open-action"
                    onClick={(e) => {
                      e.stopPropagation();
                      onOpen(it);
                    }}
                  >
                    {status === 'pending' ? 'Review' : 'View'}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
