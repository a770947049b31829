import { useEffect, useState } from 'react';
import { setReceiver, toApiError, type ApiError, type ReceiverView } from '../../api';
import { SafeText } from '../../components/SafeText';
import { parsePort } from './priceForm';

/** The loopback OTLP/HTTP receiver: on/off, port, the endpoint to give an exporter. */
export function ReceiverPanel({ view, onChanged }: { view: ReceiverView; onChanged: (v: ReceiverView) => void }) {
  const [enabled, setEnabled] = useState(view.enabled);
  const [port, setPort] = useState(String(view.port));
  /** A new token typed (null: keep the current one; '': remove it). */
  const [token, setToken] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    setEnabled(view.enabled);
    setPort(String(view.port));
  }, [view.enabled, view.port]);
  const parsed = parsePort(port);
  const dirty = enabled !== view.enabled || (parsed.ok && parsed.port !== view.port) || token !== null;
  const apply = () => {
    if (!parsed.ok) return;
    setBusy(true);
    setError(null);
    setReceiver(enabled, parsed.port, token)
      .then((v) => {
        setToken(null);
        onChanged(v);
      })
      .catch((e) => setError(toApiError(e)))
      .finally(() => setBusy(false));
  };
  const state = view.address ? 'running' : view.enabled ? 'failed' : 'off';
  return (
    <section className="detail-section settings-receiver" data-testid="receiver" data-state={state}>
      <h2>OTLP/HTTP receiver</h2>
      <p className="note">
        An instrumented agent can export its traces straight to the console: spans posted to the endpoint
        (OTLP/HTTP, JSON or protobuf, optionally gzip) become runs under the “OTLP receiver” source, priced with the
        table above. It listens on 127.0.0.1 only — nothing outside this computer can reach it.
      </p>
      <div className="filters-row">
        <label className="field-inline">
          <input type="checkbox" data-testid="receiver-enabled" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          Receive traces
        </label>
        <label className="field-inline">
          Port
          <input
            className="input"
            data-testid="receiver-port"
            inputMode="numeric"
            size={6}
            value={port}
            aria-invalid={parsed.ok ? undefined : true}
            onChange={(e) => setPort(e.target.value)}
          />
        </label>
        <label className="field-inline">
          Bearer token
          <input
            className="input"
            type="password"
            data-testid="receiver-token"
            autoComplete="off"
            size={18}
            placeholder={view.token_set ? 'set — type to replace' : 'none'}
            value={token ?? ''}
            onChange={(e) => setToken(e.target.value === '' ? null : e.target.value)}
          />
        </label>
        {view.token_set ? (
          <button type="button" className="btn" data-testid="receiver-token-clear" disabled={busy} onClick={() => setToken('')}>
            No token
          </button>
        ) : null}
        <button type="button" className="btn primary" data-testid="receiver-apply" disabled={!dirty || !parsed.ok || busy} onClick={apply}>
          {busy ? 'Applying…' : 'Apply'}
        </button>
      </div>
      {parsed.ok ? null : (
        <p className="warn-text small" data-testid="receiver-port-error">
          {parsed.error}
        </p>
      )}
      {view.address && view.endpoint ? (
        <div data-testid="receiver-running">
          <p className="ok-text small">
            Listening on <code data-testid="receiver-address">{view.address}</code>. Give your exporter this endpoint:
          </p>
          <pre className="raw" data-testid="receiver-endpoint">
            {view.endpoint}
          </pre>
          <p className="muted small">
            e.g. <code>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT={view.endpoint}</code>
            {view.token_set ? (
              <>
                {' '}
                and <code data-testid="receiver-token-header">OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20&lt;token&gt;</code> — requests
                without the token are refused.
              </>
            ) : (
              ' — no token is required: any program on this computer can post traces.'
            )}
          </p>
          {view.stats ? (
            <p className="muted small" data-testid="receiver-stats">
              {view.stats.requests} exports accepted ({view.stats.spans} spans), {view.stats.runs_changed} runs stored or
              updated, {view.stats.rejected_traces} traces quarantined, {view.stats.refused} requests refused.
            </p>
          ) : null}
        </div>
      ) : null}
      {view.enabled && view.error ? (
        <p className="warn-text" data-testid="receiver-error" role="alert">
          Not running: <SafeText text={view.error} />
        </p>
      ) : null}
      {!view.enabled ? (
        <p className="muted small" data-testid="receiver-off">
          Off. Port 4318 is the OTLP/HTTP default; 0 picks any free port at each start.
        </p>
      ) : null}
      {error ? (
        <p className="warn-text" role="alert">
          <SafeText text={error.message} />
        </p>
      ) : null}
    </section>
  );
}
