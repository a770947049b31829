import { listQuarantine } from '../../api';
import { useLoad } from '../../app/useLoad';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { Clipped, LongText } from '../../components/Clipped';

/** Records a sync refused to store, with the reason and a raw preview shown as text. */
export function QuarantineList({
  backendId,
  backendName,
}: {
  backendId: string | null;
  backendName: (id: string) => string;
}) {
  const { data, loading } = useLoad(() => listQuarantine(backendId), `quarantine:${backendId ?? '*'}`, 'list_quarantine');
  if (loading && !data) return <p className="muted">Loading…</p>;
  if (!data) return null;
  if (data.length === 0) return <p className="empty">No quarantined records.</p>;
  return (
    <div className="table-wrap">
      <table className="grid quarantine">
        <thead>
          <tr>
            <th>Received</th>
            <th>Backend</th>
            <th>Stream</th>
            <th>Reason</th>
            <th>Raw preview</th>
          </tr>
        </thead>
        <tbody>
          {data.map((q) => (
            <tr key={`${q.backend_id}/${q.id}`} data-testid="quarantine-row" data-quarantine-id={q.id}>
              <td>
                <TimeText value={q.received_at} />
              </td>
              <td>
                <Clipped text={backendName(q.backend_id)} max={60} />
              </td>
              <td>
                <code>
                  <Clipped text={q.stream} max={60} />
                </code>
              </td>
              <td className="warn-text">
                <LongText text={q.reason} />
              </td>
              <td>
                <pre className="raw">
                  <SafeText text={q.raw_preview} />
                </pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
