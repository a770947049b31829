import { useCallback, useState } from 'react';
import { listBackends } from '../../api';
import { getAuditInfo, listAudit } from '../../api/governance';
import { useStore } from '../../app/store';
import { useLoad } from '../../app/useLoad';
import { HealthBadge } from '../../components/Badges';
import { TimeText } from '../../components/TimeText';
import { ViewHeader } from '../../components/ViewHeader';
import { QuarantineList } from '../backends/QuarantineList';
import { AdminSection } from './AdminSection';
import { AuditEvents } from './AuditEvents';
import { ChainStatus } from './ChainStatus';
import { ExportVerify } from './ExportVerify';
import { TrustedKeys } from './TrustedKeys';
import './audit.css';
import { Clipped, LongText } from '../../components/Clipped';

function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}

const SECTIONS = [
  ['trail', 'Audit trail'],
  ['keys', 'Trusted keys'],
  ['admin', 'Admin'],
  ['integrity', 'Data integrity'],
] as const;

/**
 * Audit & admin: the hash-chained trail (status, public key, events, signed export and offline
 * verification against the trusted keys), the trusted keys, backends with the user's roles and knowledge sources, and data integrity
 * (sync errors, quarantined records).
 */
export function AuditView() {
  const { syncErrors } = useStore();
  const [nonce, setNonce] = useState(0);
  const [trustNonce, setTrustNonce] = useState(0);
  const trustChanged = useCallback(() => {
    setTrustNonce((n) => n + 1);
    // Trust changes are audit events too.
    setNonce((n) => n + 1);
  }, []);
  const info = useLoad(getAuditInfo, `audit-info|${nonce}`, 'audit_info');
  const { data, loadedAt } = useLoad(listBackends, 'audit-backends', 'list_backends');
  const nameOf = useCallback((id: string) => data?.find((b) => b.backend_id === id)?.name ?? id, [data]);
  // The newest export recorded in the trail prefills the verify folder.
  const recent = useLoad(() => listAudit(null, null, 1000), `audit-recent|${nonce}`, 'list_audit');
  const lastExport = recent.data?.find((e) => e.kind === 'export');
  const exportsDir = info.data?.exports_dir ?? null;
  const suggestedDir = lastExport && exportsDir ? joinPath(exportsDir, lastExport.subject) : null;
  const failing = (data ?? []).filter((b) => b.health.last_error || b.health.consecutive_failures > 0);
  const jump = (id: string) => document.getElementById(`audit-${id}`)?.scrollIntoView({ block: 'start' });
  return (
    <section className="view audit">
      <ViewHeader title="Audit & admin" loadedAt={loadedAt ?? info.loadedAt} />
      <nav className="section-jump" aria-label="Sections">
        {SECTIONS.map(([id, label]) => (
          <button key={id} type="button" className="link-button" data-testid={`audit-jump-${id}`} onClick={() => jump(id)}>
            {label}
          </button>
        ))}
      </nav>
      <section className="detail-section" id="audit-trail">
        <h2>Audit trail</h2>
        <ChainStatus info={info.data} />
      </section>
      <ExportVerify
        publicKey={info.data?.public_key ?? null}
        suggestedDir={suggestedDir}
        onExported={() => setNonce((n) => n + 1)}
        onTrustChanged={trustChanged}
      />
      <div id="audit-keys" className="audit-group">
        <TrustedKeys nonce={trustNonce} onChanged={trustChanged} />
      </div>
      <AuditEvents nonce={nonce} />
      <div id="audit-admin" className="audit-group">
        <AdminSection backends={data} />
      </div>
      <div id="audit-integrity" className="audit-group">
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
                      <Clipped text={b.name} max={60} />
                    </td>
                    <td>
                      <HealthBadge state={b.health.state} />
                    </td>
                    <td className="warn-text">
                      <LongText text={b.health.last_error ?? '—'} />
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
                  <TimeText value={e.at.toISOString()} /> · <Clipped text={nameOf(e.backend_id)} max={60} />:{' '}
                  <span className="warn-text">
                    <LongText text={e.message ?? 'error'} />
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
      </div>
    </section>
  );
}
