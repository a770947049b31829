import { useCallback } from 'react';
import { listBackends } from '../../api';
import { useStore } from '../../app/store';
import { useLoad } from '../../app/useLoad';
import { HealthBadge } from '../../components/Badges';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { ViewHeader } from '../../components/ViewHeader';
import { QuarantineList } from '../backends/QuarantineList';

/** Data-integrity audit: sync errors and quarantined records across backends. */
export function AuditView() {
  const { syncErrors } = useStore();
  const { data, loadedAt } = useLoad(listBackends, 'audit-backends', 'list_backends');
  const nameOf = useCallback((id: string) => data?.find((b) => b.backend_id === id)?.name ?? id, [data]);
  const failing = (data ?? []).filter((b) => b.health.last_error || b.health.consecutive_failures > 0);
  return (
    <section className="view">
      <ViewHeader title="Audit: sync errors and quarantined records" loadedAt={loadedAt} />
      <section className="detail-section">
        <h2>Sync errors by backend</h2>
        {data && failing.length === 0 ? <p className="empty">No backend reports a sync error.</p> : null}
        {failing.length > 0 ? (
          <table className="grid">
            <thead>
              <tr>
                <th>Backend</th>
                <th>Health</th>
                <th>Last error</th>
                <th className="num">Failures in a row</th>
                <th>Last attempt</th>
                <th>Last success</th>
              </tr>
            </thead>
            <tbody>
              {failing.map((b) => (
                <tr key={b.backend_id} data-testid="sync-error-row" data-backend-id={b.backend_id}>
                  <td>
                    <SafeText text={b.name} />
                  </td>
                  <td>
                    <HealthBadge state={b.health.state} />
                  </td>
                  <td className="warn-text">
                    <SafeText text={b.health.last_error ?? '—'} />
                  </td>
                  <td className="num">{b.health.consecutive_failures}</td>
                  <td>
                    <TimeText value={b.health.last_attempt_at} />
                  </td>
                  <td>
                    <TimeText value={b.health.last_success_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      {syncErrors.length > 0 ? (
        <section className="detail-section">
          <h2>Sync errors this session</h2>
          <ul className="plain-list">
            {[...syncErrors].reverse().map((e, i) => (
              <li key={i}>
                <TimeText value={e.at.toISOString()} /> · <SafeText text={nameOf(e.backend_id)} />:{' '}
                <span className="warn-text">
                  <SafeText text={e.message ?? 'error'} />
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section className="detail-section">
        <h2>Quarantined records</h2>
        <QuarantineList backendId={null} backendName={nameOf} />
      </section>
    </section>
  );
}
