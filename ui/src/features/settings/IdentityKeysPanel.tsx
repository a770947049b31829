import { useState } from 'react';
import { setIdentityKeys, toApiError, type ApiError, type IdentityKeysView } from '../../api';
import { IdentityKeysForm } from '../../components/IdentityKeysForm';
import { SafeText } from '../../components/SafeText';

/** The identity keys of imported trace files and the OTLP receiver (trace stores set theirs per backend). */
export function IdentityKeysPanel({ view, onSaved }: { view: IdentityKeysView; onSaved: (v: IdentityKeysView) => void }) {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const save = (keys: IdentityKeysView['keys']) => {
    setBusy(true);
    setDone(false);
    setError(null);
    setIdentityKeys(keys)
      .then((v) => {
        setDone(true);
        onSaved(v);
      })
      .catch((e) => setError(toApiError(e)))
      .finally(() => setBusy(false));
  };
  return (
    <section className="detail-section settings-identity" data-testid="identity-settings" data-custom={view.custom}>
      <h2>Users and tenants in traces</h2>
      <IdentityKeysForm
        keys={view.keys}
        busy={busy}
        done={done}
        error={error ? <SafeText text={error.message} /> : undefined}
        onEdit={() => {
          setDone(false);
          setError(null);
        }}
        onSave={save}
      >
        <p className="note">
          Imported trace files and the OTLP receiver read a run’s user, tenant and session from these metadata keys (e.g.
          LangChain run config metadata, which OpenInference exports on every span), after a span’s own user.id and
          session.id. The service name is never taken for a tenant. Trace-store backends set their own keys in Backends.
        </p>
        {view.custom ? null : (
          <p className="muted small" data-testid="identity-defaults-note">
            These are the defaults.
          </p>
        )}
      </IdentityKeysForm>
    </section>
  );
}
