import type { BackendView } from '../../api';
import { IdentityKeysForm } from '../../components/IdentityKeysForm';
import { identityKeysOf, withIdentityKeys } from '../../lib/identityKeys';
import { useConfigSave } from './useConfigSave';

/** Kinds whose runs are read from free-form metadata (not imports: those use the Settings keys). */
export function hasIdentityKeys(kind: string): boolean {
  return kind !== 'countersign' && kind !== 'otel';
}

/**
 * A backend's identity keys (its config's `identity`): which metadata keys name a run's user and
 * tenant (and, for trace stores, its session). Saved like the other backend settings, with the
 * change in the audit trail.
 */
export function IdentityKeysEditor({ b, onSaved }: { b: BackendView; onSaved?: (saved: BackendView) => void }) {
  const { busy, done, clearDone, save } = useConfigSave(b.backend_id, onSaved);
  const langgraph = b.kind === 'langgraph';
  return (
    <IdentityKeysForm
      keys={identityKeysOf(b.config)}
      lists={langgraph ? ['user_keys', 'tenant_keys'] : undefined}
      busy={busy}
      done={done}
      onEdit={clearDone}
      onSave={(keys) => void save(withIdentityKeys(b.config, keys))}
    >
      <p className="muted small">
        {langgraph
          ? 'Looked up, in order, in the thread’s metadata, its runs’ metadata, then its messages’ metadata.'
          : 'Looked up, in order, in the spans’ metadata (e.g. LangChain run config metadata). A span’s user.id and session.id come first; the service name is never a tenant.'}{' '}
        Comma-separated; the first key found wins.
      </p>
    </IdentityKeysForm>
  );
}
