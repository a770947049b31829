import { useState } from 'react';
import { setBackendConfig, type BackendView } from '../../api';
import { useReportError } from '../../app/errors';
import { confirmFieldsText, parseConfirmFields, withConfirmFields } from './kinds';

/**
 * LangGraph Server backends: which arguments of which action a reviewer must confirm. An action
 * not listed needs every argument confirmed; listed actions show the other arguments for
 * context without requiring them. Takes effect from the next sync.
 */
export function ConfirmFieldsEditor({ b, onSaved }: { b: BackendView; onSaved?: (saved: BackendView) => void }) {
  const report = useReportError();
  const saved = confirmFieldsText(b.config);
  const [text, setText] = useState(saved);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const parsed = parseConfirmFields(text);

  const save = async () => {
    if (!parsed.ok) return;
    setBusy(true);
    setDone(false);
    try {
      const savedView = await setBackendConfig(b.backend_id, withConfirmFields(b.config, parsed.value));
      setDone(true);
      onSaved?.(savedView);
    } catch (e) {
      report(e, 'set_backend_config');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="confirm-fields" data-testid="confirm-fields">
      <h4>Fields a reviewer must confirm, per action</h4>
      <p className="muted small">
        One action a line, e.g. <code>issue_refund: amount, currency, region</code>. Actions not listed require every
        argument.
      </p>
      <textarea
        data-testid="confirm-fields-text"
        rows={Math.max(3, text.split('\n').length + 1)}
        value={text}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          setDone(false);
        }}
      />
      <div className="decide-row">
        <button
          type="button"
          className="btn"
          data-testid="confirm-fields-save"
          disabled={busy || !parsed.ok || text === saved}
          onClick={save}
        >
          Save
        </button>
        {!parsed.ok ? (
          <span className="warn-text small" data-testid="confirm-fields-error">
            {parsed.error}
          </span>
        ) : done ? (
          <span className="ok-text small">Saved; applies from the next sync.</span>
        ) : null}
      </div>
    </section>
  );
}
