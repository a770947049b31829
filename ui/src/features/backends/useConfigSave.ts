// Saving a backend's per-kind settings from one of its editors: busy and saved flags, errors
// to the banner, and the saved view handed back (each editor saves the whole config).
import { useState } from 'react';
import { setBackendConfig, type BackendView, type Json } from '../../api';
import { useReportError } from '../../app/errors';

/** What an editor needs to save a backend's config. */
export interface ConfigSave {
  busy: boolean;
  /** The last save succeeded and nothing changed since (`clearDone` after an edit). */
  done: boolean;
  clearDone: () => void;
  save: (config: Json) => Promise<void>;
}

export function useConfigSave(backendId: string, onSaved?: (v: BackendView) => void): ConfigSave {
  const report = useReportError();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const save = async (config: Json) => {
    setBusy(true);
    setDone(false);
    try {
      const saved = await setBackendConfig(backendId, config);
      setDone(true);
      onSaved?.(saved);
    } catch (e) {
      report(e, 'set_backend_config');
    } finally {
      setBusy(false);
    }
  };
  return { busy, done, clearDone: () => setDone(false), save };
}
