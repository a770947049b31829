import { useState, type FormEvent } from 'react';
import { addBackend } from '../../api';
import { useReportError } from '../../app/errors';
import { SafeText } from '../../components/SafeText';

/** Adds a backend. The token goes straight to the Rust side (OS secret store), never kept here. */
export function AddBackendForm({ onAdded }: { onAdded: () => void }) {
  const report = useReportError();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setAdded(null);
    try {
      const b = await addBackend({ name: name.trim(), url: url.trim(), token });
      setAdded(b.name);
      setName('');
      setUrl('');
      setToken('');
      onAdded();
    } catch (err) {
      report(err, 'add_backend');
      setToken('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card add-backend" onSubmit={submit} autoComplete="off">
      <h2>Add backend</h2>
      <div className="form-row">
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
            placeholder="https://agents.example.com"
            inputMode="url"
            spellCheck={false}
          />
        </label>
        <label>
          Token
          <input
            data-testid="backend-token"
            type="password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            autoComplete="new-password"
            spellCheck={false}
          />
        </label>
        <button type="submit" className="btn primary" data-testid="backend-add" disabled={busy}>
          {busy ? 'Adding…' : 'Add'}
        </button>
      </div>
      {added ? (
        <p className="ok-text small">
          Added <SafeText text={added} />.
        </p>
      ) : null}
    </form>
  );
}
