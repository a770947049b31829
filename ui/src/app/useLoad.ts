import { useCallback, useEffect, useRef, useState } from 'react';
import { useReportError } from './errors';
import { useStore } from './store';

export interface Loaded<T> {
  data: T | null;
  loading: boolean;
  /** When the last successful load finished. */
  loadedAt: Date | null;
  failed: boolean;
  reload: () => void;
}

/**
 * Runs `fetch` when `key` changes or the store changes; keeps the last good data on error and
 * reports the error to the banner. Out-of-order answers are dropped.
 */
export function useLoad<T>(fetch: () => Promise<T>, key: string, context: string): Loaded<T> {
  const report = useReportError();
  const { version } = useStore();
  const [data, setData] = useState<T | null>(null);
  const [loading, setLoading] = useState(true);
  const [failed, setFailed] = useState(false);
  const [loadedAt, setLoadedAt] = useState<Date | null>(null);
  const [nonce, setNonce] = useState(0);
  const req = useRef(0);
  const fetchRef = useRef(fetch);
  fetchRef.current = fetch;

  useEffect(() => {
    const mine = ++req.current;
    setLoading(true);
    fetchRef
      .current()
      .then((d) => {
        if (mine !== req.current) return;
        setData(d);
        setFailed(false);
        setLoadedAt(new Date());
      })
      .catch((e) => {
        if (mine !== req.current) return;
        setFailed(true);
        report(e, context);
      })
      .finally(() => {
        if (mine === req.current) setLoading(false);
      });
  }, [key, version, nonce, context, report]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data, loading, loadedAt, failed, reload };
}
