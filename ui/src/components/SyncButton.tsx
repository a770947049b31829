import { useState } from 'react';
import { useStore } from '../app/store';

/** Syncs one backend (or all when `backendId` is null) and shows progress. */
export function SyncButton({
  backendId,
  testId,
  label = 'Sync now',
}: {
  backendId: string | null;
  testId: string;
  label?: string;
}) {
  const { syncNow } = useStore();
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      data-testid={testId}
      className="btn"
      disabled={busy}
      aria-busy={busy}
      onClick={() => {
        setBusy(true);
        void syncNow(backendId).finally(() => setBusy(false));
      }}
    >
      {busy ? 'Syncing…' : label}
    </button>
  );
}
