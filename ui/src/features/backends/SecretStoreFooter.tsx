import type { AppInfo } from '../../api';
import { useAppInfo } from '../../app/useAppInfo';
import { SafeText } from '../../components/SafeText';

/** Where backend tokens are kept, and why they cannot be used (a token file others may read). */
export function SecretStoreFooter({ info }: { info?: AppInfo | null }) {
  const asked = useAppInfo();
  const i = info === undefined ? asked : info;
  if (!i) return null;
  return (
    <footer className="muted small" data-testid="secret-store-footer">
      Tokens: <SafeText text={i.secret_store} />
      {i.secret_store_error ? (
        <p className="warn-text" data-testid="secret-store-error">
          <SafeText text={i.secret_store_error} />
        </p>
      ) : null}
    </footer>
  );
}
