import { useState, type FormEvent } from 'react';
import { addBackend, toApiError, type BackendKind } from '../../api';
import { useReportError } from '../../app/errors';
import { SafeText } from '../../components/SafeText';
import { KIND_INFO, isPlainHttpOffMachine, newBackendInput } from './kinds';

/**
 * Adds a backend of any kind the console connects to. The token (Langfuse keys, MLflow user and password) goes
 * straight to the Rust side (OS secret store), never kept here.
 */
export function AddBackendForm({ onAdded }: { onAdded: () => void }) {
  const report = useReportError();
  const [kind, setKind] = useState<BackendKind>('countersign');
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [secret, setSecret] = useState('');
  const [project, setProject] = useState('');
  const [experiment, setExperiment] = useState('');
  const [busy, setBusy] = useState(false);
  const [allowHttp, setAllowHttp] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  // The URL is already connected: its settings were left alone; replacing them is a second, explicit step.
  const [exists, setExists] = useState<string | null>(null);
  const info = KIND_INFO[kind];
  const plainHttp = isPlainHttpOffMachine(url);

  const add = async (replace: boolean) => {
    setBusy(true);
    setAdded(null);
    try {
      const b = await addBackend({ ...newBackendInput({ kind, name, url, token, secret, project, experiment }), allowHttp: plainHttp && allowHttp, replace });
      setAdded(b.name);
      setExists(null);
      setName('');
      setUrl('');
      setToken('');
      setSecret('');
      setProject('');
      setExperiment('');
      setAllowHttp(false);
      onAdded();
    } catch (err) {
      const e = toApiError(err);
      if (e.code === 'backend_exists') {
        // Keep the inputs (token included) for the explicit replace below.
        setExists(e.message);
      } else {
        report(e, 'add_backend');
        setExists(null);
        setToken('');
        setSecret('');
      }
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void add(false);
  };

  return (
    <form className="card add-backend" onSubmit={submit} autoComplete="off">
      <h2>Add backend</h2>
      <div className="form-row">
        <label>
          Kind
          <select data-testid="backend-kind" value={kind} onChange={(e) => setKind(e.target.value as BackendKind)}>
            {(Object.keys(KIND_INFO) as BackendKind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_INFO[k].label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input data-testid="backend-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Production agents" />
        </label>
        <label>
          URL
          <input
            data-testid="backend-url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder={info.urlHint}
            inputMode="url"
            spellCheck={false}
          />
        </label>
        {kind === 'phoenix' ? (
          <label>
            Project
            <input data-testid="backend-project" value={project} onChange={(e) => setProject(e.target.value)} placeholder="default" spellCheck={false} />
          </label>
        ) : null}
        {kind === 'mlflow' ? (
          <label>
            Experiment
            <input
              data-testid="backend-experiment"
              value={experiment}
              onChange={(e) => setExperiment(e.target.value)}
              placeholder="all experiments"
              spellCheck={false}
            />
          </label>
        ) : null}
        <label>
          {info.tokenLabel}
          <input
            data-testid="backend-token"
            type="password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            autoComplete="new-password"
            spellCheck={false}
          />
        </label>
        {kind === 'langfuse' || kind === 'mlflow' ? (
          <label>
            {kind === 'langfuse' ? 'Secret key' : 'Password (basic auth)'}
            <input
              data-testid="backend-secret"
              type="password"
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
              autoComplete="new-password"
              spellCheck={false}
            />
          </label>
        ) : null}
        <button type="submit" className="btn primary" data-testid="backend-add" disabled={busy}>
          {busy ? 'Checking…' : 'Add'}
        </button>
      </div>
      {plainHttp ? (
        <label className="warn-text small" data-testid="backend-allow-http-label">
          <input type="checkbox" data-testid="backend-allow-http" checked={allowHttp} onChange={(e) => setAllowHttp(e.target.checked)} /> This URL uses
          plain http to another machine: the token would cross the network unencrypted. Allow plain http for this backend (recorded in the
          audit trail).
        </label>
      ) : null}
      {exists ? (
        <div className="warn-text small" data-testid="backend-exists">
          <SafeText text={exists} />{' '}
          <button type="button" className="btn danger" data-testid="backend-replace" disabled={busy} onClick={() => void add(true)}>
            Replace its settings
          </button>{' '}
          <button type="button" className="btn" onClick={() => setExists(null)}>
            Keep them
          </button>
        </div>
      ) : null}
      <p className="muted small" data-testid="backend-kind-help">
        {info.help}
      </p>
      {added ? (
        <p className="ok-text small">
          Added <SafeText text={added} />.
        </p>
      ) : null}
    </form>
  );
}
