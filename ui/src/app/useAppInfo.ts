// The app's facts (version, store, minimum review time…), asked once per session and shared.
import { useEffect, useState } from 'react';
import { appInfo, type AppInfo } from '../api';

let asked: Promise<AppInfo | null> | null = null;

/** `app_info`, fetched once; null until it answers (or when it fails — other commands show why). */
export function useAppInfo(): AppInfo | null {
  const [info, setInfo] = useState<AppInfo | null>(null);
  useEffect(() => {
    let live = true;
    asked ??= appInfo().catch(() => null);
    void asked.then((i) => {
      if (live) setInfo(i);
    });
    return () => {
      live = false;
    };
  }, []);
  return info;
}
