import { useCallback } from 'react';
import { listBackends } from '../../api';
import { useStore } from '../../app/store';
import { useLoad } from '../../app/useLoad';
import { SyncButton } from '../../components/SyncButton';
import { ViewHeader } from '../../components/ViewHeader';
import { AddBackendForm } from './AddBackendForm';
import { BackendRow } from './BackendRow';
import { QuarantineList } from './QuarantineList';
import { SecretStoreFooter } from './SecretStoreFooter';

export function BackendsView() {
  const { bump } = useStore();
  const { data, loading, loadedAt } = useLoad(listBackends, 'backends', 'list_backends');
  const nameOf = useCallback((id: string) => data?.find((b) => b.backend_id === id)?.name ?? id, [data]);
  const items = data ?? [];
  return (
    <section className="view">
      <ViewHeader title="Backends" loadedAt={loadedAt} actions={<SyncButton backendId={null} testId="sync-all" label="Sync all" />} />
      {loading && !data ? <p className="muted">Loading…</p> : null}
      {data && items.length === 0 ? <p className="empty">No backends yet. Add one below.</p> : null}
      <div className="cards">
        {items.map((b) => (
          <BackendRow key={b.backend_id} b={b} onRemoved={bump} />
        ))}
      </div>
      <AddBackendForm onAdded={bump} />
      <section className="detail-section">
        <h2>Quarantined records</h2>
        <QuarantineList backendId={null} backendName={nameOf} />
      </section>
      <SecretStoreFooter />
    </section>
  );
}
