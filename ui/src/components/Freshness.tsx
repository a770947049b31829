import type { BackendView } from '../api';
import { useStore, type SyncEntry } from '../app/store';
import { useNow } from '../app/useNow';
import { formatLag, lagMinutes } from '../lib/lag';
import { formatClock, formatDateTimeCompact, parseTime } from '../lib/time';
import { healthLabel } from './Badges';
import { SafeText } from './SafeText';

/** URL prefix of the pseudo-backends of imported trace files and of the OTLP receiver. */
const IMPORT_PREFIX = 'http://import.localhost/';

/**
 * How a backend's data arrives: synced from a server, imported from a trace file (its last
 * success is the import), or received by the OTLP receiver (its last success is the last batch).
 */
export function arrival(b: Pick<BackendView, 'url'>): 'sync' | 'import' | 'receiver' {
  if (!b.url.startsWith(IMPORT_PREFIX)) return 'sync';
  return b.url === `${IMPORT_PREFIX}otlp-receiver` ? 'receiver' : 'import';
}

/**
 * "Data as of 15:32 · backend acme: as of 15:30, lag 4 min, healthy": the newest successful sync
 * across the backends shown, then each backend's own freshness and health. An imported file
 * says once when it was imported ("OTel import: hx.json: imported Nov 24, 15:32"), the receiver
 * when it last received spans. `loadedAt` is when this view last read the store.
 */
export function Freshness({ loadedAt, backendIds }: { loadedAt: Date | null; backendIds?: string[] }) {
  const { backends, syncing, syncStatus } = useStore();
  const now = useNow();
  const shown = (backends ?? []).filter((b) => !backendIds || backendIds.includes(b.backend_id));
  return <FreshnessLine shown={shown} syncing={syncing} syncStatus={syncStatus} loadedAt={loadedAt} now={now} />;
}

/** [`Freshness`] for given backends and time (no store). */
export function FreshnessLine({
  shown,
  syncing,
  syncStatus,
  loadedAt,
  now,
}: {
  shown: BackendView[];
  syncing: boolean;
  syncStatus: Record<string, SyncEntry>;
  loadedAt: Date | null;
  now: Date;
}) {
  const synced = shown.filter((b) => arrival(b) === 'sync');
  const lastSync = synced
    .map((b) => parseTime(b.health.last_success_at))
    .filter((d): d is Date => d !== null)
    .sort((a, b) => b.getTime() - a.getTime())[0];
  const lead = synced.length > 0 || shown.length === 0;
  return (
    <div className="freshness" data-testid="freshness" title={loadedAt ? `View loaded ${loadedAt.toISOString()}` : ''}>
      <span>
        {lead ? (
          <>
            Data as of <strong>{lastSync ? formatClock(lastSync) : 'never synced'}</strong>
          </>
        ) : null}
        {loadedAt ? <span className="muted">{lead ? ' ' : ''}(read {formatClock(loadedAt)})</span> : null}
      </span>
      {shown.length === 0 ? <span className="muted"> · no backends</span> : null}
      {shown.map((b, i) => {
        const last = parseTime(b.health.last_success_at);
        const sep = i > 0 || lead || loadedAt ? ' · ' : '';
        const how = arrival(b);
        if (how !== 'sync') {
          return (
            <span key={b.backend_id} className="freshness-backend" data-testid="backend-freshness" data-backend-id={b.backend_id} data-arrival={how}
              title={last ? `${how === 'import' ? 'Imported' : 'Last received'} ${last.toISOString()} (UTC)` : ''}>
              {sep}
              <SafeText text={b.name} />
              {how === 'import'
                ? last ? `: imported ${asOf(last, now)}` : ': imported (time not recorded)'
                : last ? `: last received ${asOf(last, now)}` : ': nothing received yet'}
            </span>
          );
        }
        const live = syncStatus[b.backend_id];
        const lag = lagMinutes(last, now);
        return (
          <span
            key={b.backend_id}
            className="freshness-backend"
            data-testid="backend-freshness"
            data-backend-id={b.backend_id}
            data-arrival={how}
            data-lag-min={lag ?? undefined}
            title={last ? `Last successful sync ${last.toISOString()} (UTC)` : 'Never synced'}
          >
            {sep}
            <SafeText text={b.name} />
            {last ? (
              <>
                : data as of {asOf(last, now)}, <span className={lag !== null && lag > 60 ? 'warn-text' : ''}>{formatLag(lag)}</span>
              </>
            ) : (
              ': never synced'
            )}{' '}
            {b.health.state === 'never_synced' && !last ? null : <span className={`health-text health-${b.health.state}`}>{healthLabel(b.health.state)}</span>}
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
