// App-wide live state: the backend list (for health/freshness), sync progress from `sync-status`
// events, and a version counter bumped on every `store-changed` event so views reload.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  listBackends,
  onStoreChanged,
  onSyncStatus,
  syncNow as apiSyncNow,
  type BackendView,
  type SyncReport,
  type SyncStatusPayload,
} from '../api';
import { useReportError } from './errors';

export interface SyncEntry extends SyncStatusPayload {
  at: Date;
}

interface StoreState {
  /** Bumped whenever stored data may have changed. */
  version: number;
  backends: BackendView[] | null;
  backendsLoadedAt: Date | null;
  syncStatus: Record<string, SyncEntry>;
  /** Errors seen during this session (sync-status errors and sync report errors). */
  syncErrors: SyncEntry[];
  syncing: boolean;
  bump: () => void;
  /** Runs sync for one backend or all (null); errors land in the banner. */
  syncNow: (backendId: string | null) => Promise<SyncReport[] | null>;
}

const Ctx = createContext<StoreState | null>(null);

export function StoreProvider({ children }: { children: ReactNode }) {
  const report = useReportError();
  const [version, setVersion] = useState(0);
  const [backends, setBackends] = useState<BackendView[] | null>(null);
  const [backendsLoadedAt, setBackendsLoadedAt] = useState<Date | null>(null);
  const [syncStatus, setSyncStatus] = useState<Record<string, SyncEntry>>({});
  const [syncErrors, setSyncErrors] = useState<SyncEntry[]>([]);
  const [manualSyncs, setManualSyncs] = useState(0);
  const bump = useCallback(() => setVersion((v) => v + 1), []);
  const req = useRef(0);
  const backendsRef = useRef<BackendView[] | null>(null);
  backendsRef.current = backends;

  useEffect(() => {
    const mine = ++req.current;
    listBackends()
      .then((b) => {
        if (mine !== req.current) return;
        setBackends(b);
        setBackendsLoadedAt(new Date());
      })
      .catch((e) => report(e, 'list_backends'));
  }, [version, report]);

  useEffect(() => {
    const unsubs: (() => void)[] = [];
    let dead = false;
    const keep = (p: Promise<() => void>) =>
      p
        .then((u) => (dead ? u() : unsubs.push(u)))
        .catch((e) => report(e, 'events'));
    const changed = keep(onStoreChanged(() => setVersion((v) => v + 1)));
    const status = keep(
      onSyncStatus((p) => {
        const entry: SyncEntry = { ...p, at: new Date() };
        setSyncStatus((s) => ({ ...s, [p.backend_id]: entry }));
        if (p.state === 'error') setSyncErrors((e) => [...e.slice(-49), entry]);
        if (p.state !== 'running') setVersion((v) => v + 1);
      }),
    );
    // What changed before these listeners were in place (a sync page stored while the app was
    // still loading) had no event here: reload once, now that every later change will.
    void Promise.all([changed, status]).then(() => {
      if (!dead) setVersion((v) => v + 1);
    });
    return () => {
      dead = true;
      unsubs.forEach((u) => u());
    };
  }, [report]);

  const syncNow = useCallback(
    async (backendId: string | null) => {
      setManualSyncs((n) => n + 1);
      try {
        const reports = await apiSyncNow(backendId);
        for (const r of reports) {
          if (r.error) {
            const name = backendsRef.current?.find((b) => b.backend_id === r.backend_id)?.name ?? r.backend_id;
            report(r.error, `sync ${name}`);
            setSyncErrors((e) => [
              ...e.slice(-49),
              { backend_id: r.backend_id, state: 'error', message: `${r.error?.code}: ${r.error?.message}`, at: new Date() },
            ]);
          }
        }
        return reports;
      } catch (e) {
        report(e, 'sync_now');
        return null;
      } finally {
        setManualSyncs((n) => n - 1);
        setVersion((v) => v + 1);
      }
    },
    [report],
  );

  const syncing = manualSyncs > 0 || Object.values(syncStatus).some((s) => s.state === 'running');

  const value = useMemo(
    () => ({ version, backends, backendsLoadedAt, syncStatus, syncErrors, syncing, bump, syncNow }),
    [version, backends, backendsLoadedAt, syncStatus, syncErrors, syncing, bump, syncNow],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useStore(): StoreState {
  const v = useContext(Ctx);
  if (!v) throw new Error('StoreProvider missing');
  return v;
}
