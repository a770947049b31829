import { useStore } from '../app/store';
import { useNow } from '../app/useNow';
import { formatLag, lagMinutes } from '../lib/lag';
import { formatClock, formatDateTimeCompact, parseTime } from '../lib/time';
import { healthLabel } from './Badges';
import { SafeText } from './SafeText';

/**
 * "Data as of 15:32 · backend acme: as of 15:30, lag 4 min, healthy": the newest successful sync
 * across the backends shown, then each backend's own freshness and health. `loadedAt` is when
 * this view last read the store.
 */
export function Freshness({ loadedAt, backendIds }: { loadedAt: Date | null; backendIds?: string[] }) {
  const { backends, syncing, syncStatus } = useStore();
  const now = useNow();
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
        const last = parseTime(b.health.last_success_at);
        const lag = lagMinutes(last, now);
        return (
          <span
            key={b.backend_id}
            className="freshness-backend"
            data-testid="backend-freshness"
            data-backend-id={b.backend_id}
            data-lag-min={lag ?? undefined}
            title={last ? `Last successful sync ${last.toISOString()} (UTC)` : 'Never synced'}
          >
            {' · '}
            <SafeText text={b.name} />
            {last ? (
              <>
                : data as of {asOf(last, now)}, <span className={lag !== null && lag > 60 ? 'warn-text' : ''}>{formatLag(lag)}</span>
              </>
            ) : (
              ': never synced'
            )}{' '}
            <span className={`health-text health-${b.health.state}`}>{healthLabel(b.health.state)}</span>
            {live?.state === 'running' ? <span className="muted"> (syncing…)</span> : null}
          </span>
        );
      })}
      {syncing ? <span className="spinner" aria-label="syncing" /> : null}
    </div>
  );
}

/** "15:32" today, "Nov 24, 15:32:10" on another day. */
function asOf(d: Date, now: Date): string {
  return d.toDateString() === now.toDateString() ? formatClock(d) : formatDateTimeCompact(d.toISOString()).text;
}
