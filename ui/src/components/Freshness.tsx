import { useStore } from '../app/store';
import { formatClock, parseTime } from '../lib/time';
import { healthLabel } from './Badges';
import { SafeText } from './SafeText';

/**
 * "Data as of 15:32 (backend acme healthy · beta down)": the newest successful sync across the
 * backends shown, and each backend's health. `loadedAt` is when this view last read the store.
 */
export function Freshness({ loadedAt, backendIds }: { loadedAt: Date | null; backendIds?: string[] }) {
  const { backends, syncing, syncStatus } = useStore();
  const shown = (backends ?? []).filter((b) => !backendIds || backendIds.includes(b.backend_id));
  const lastSync = shown
    .map((b) => parseTime(b.health.last_success_at))
    .filter((d): d is Date => d !== null)
    .sort((a, b) => b.getTime() - a.getTime())[0];
  return (
    <div className="freshness" data-testid="freshness" title={loadedAt ? `View loaded ${loadedAt.toISOString()}` : ''}>
      <span>
        Data as of <strong>{lastSync ? formatClock(lastSync) : 'never synced'}</strong>
        {loadedAt ? <span className="muted"> (read {formatClock(loadedAt)})</span> : null}
      </span>
      {shown.length === 0 ? <span className="muted"> · no backends</span> : null}
      {shown.map((b) => {
        const live = syncStatus[b.backend_id];
        return (
          <span key={b.backend_id} className="freshness-backend">
            {' · '}backend <SafeText text={b.name} />{' '}
            <span className={`health-text health-${b.health.state}`}>{healthLabel(b.health.state)}</span>
            {live?.state === 'running' ? <span className="muted"> (syncing…)</span> : null}
          </span>
        );
      })}
      {syncing ? <span className="spinner" aria-label="syncing" /> : null}
    </div>
  );
}
