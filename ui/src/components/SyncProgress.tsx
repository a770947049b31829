import { useEffect, useState } from 'react';
import { cancelSync } from '../api';
import { useReportError } from '../app/errors';
import { useStore } from '../app/store';
import { SafeText } from './SafeText';

/**
 * While a `sync-status` event says `running` (or a sync started here is in flight): a progress
 * indicator naming the backends, and a Cancel button that stops after the current page.
 */
export function SyncProgress() {
  const { syncStatus, syncing, backends } = useStore();
  const report = useReportError();
  const [cancelling, setCancelling] = useState(false);
  useEffect(() => {
    if (!syncing) setCancelling(false);
  }, [syncing]);
  if (!syncing) return null;
  const name = (id: string) => backends?.find((b) => b.backend_id === id)?.name ?? id;
  const running = Object.values(syncStatus)
    .filter((s) => s.state === 'running')
    .map((s) => name(s.backend_id));
  return (
    <SyncProgressView
      running={running}
      cancelling={cancelling}
      onCancel={() => {
        setCancelling(true);
        cancelSync().catch((e) => {
          setCancelling(false);
          report(e, 'cancel_sync');
        });
      }}
    />
  );
}

export function SyncProgressView({ running, cancelling, onCancel }: { running: string[]; cancelling: boolean; onCancel: () => void }) {
  return (
    <div className="sync-progress" data-testid="sync-progress" role="status" aria-live="polite">
      <progress aria-label="Sync in progress" />
      <span>
        Syncing
        {running.map((n, i) => (
          <span key={i}>
            {i > 0 ? ', ' : ' '}
            <SafeText text={n} />
          </span>
        ))}
        …
      </span>
      <button type="button" className="btn small" data-testid="sync-cancel" disabled={cancelling} onClick={onCancel}>
        {cancelling ? 'Cancelling after this page…' : 'Cancel'}
      </button>
    </div>
  );
}
