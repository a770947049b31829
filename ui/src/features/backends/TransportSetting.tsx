import { useState } from 'react';
import { editBackend, type BackendView } from '../../api';
import { useReportError } from '../../app/errors';
import { useStore } from '../../app/store';
import { isPlainHttpOffMachine } from './kinds';

/**
 * How a backend's token travels. Over plain http to another machine it is only sent when the admin
 * allows it here; each change is recorded in the audit trail (before → after).
 */
export function TransportSetting({ b }: { b: BackendView }) {
  const report = useReportError();
  const { bump } = useStore();
  const [busy, setBusy] = useState(false);
  const plain = isPlainHttpOffMachine(b.url);

  const set = async (allowHttp: boolean) => {
    setBusy(true);
    try {
      await editBackend(b.backend_id, { allowHttp });
      bump();
    } catch (e) {
      report(e, 'edit_backend');
    } finally {
      setBusy(false);
    }
  };

  if (!plain && !b.allow_http) {
    return <span data-testid="backend-transport">https or this machine</span>;
  }
  return (
    <span data-testid="backend-transport" data-allow-http={b.allow_http ? 'true' : 'false'}>
      {b.allow_http ? (
        <span className="warn-text">plain http allowed: the token crosses the network unencrypted</span>
      ) : (
        <span className="warn-text">plain http: the token is not sent until you allow it</span>
      )}{' '}
      <button type="button" className="btn" data-testid="backend-allow-http-toggle" disabled={busy} onClick={() => void set(!b.allow_http)}>
        {b.allow_http ? 'Require https' : 'Allow plain http'}
      </button>
    </span>
  );
}
