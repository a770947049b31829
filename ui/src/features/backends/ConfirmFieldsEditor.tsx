import { useState } from 'react';
import type { BackendView } from '../../api';
import { confirmFieldsText, parseConfirmFields, withConfirmFields } from './kinds';
import { useConfigSave } from './useConfigSave';

/**
 * LangGraph Server backends: which arguments of which action a reviewer must confirm. An action
 * not listed needs every argument confirmed; listed actions show the other arguments for
 * context without requiring them. Takes effect from the next sync.
 */
export function ConfirmFieldsEditor({ b, onSaved }: { b: BackendView; onSaved?: (saved: BackendView) => void }) {
  const saved = confirmFieldsText(b.config);
  const [text, setText] = useState(saved);
  const { busy, done, clearDone, save: saveConfig } = useConfigSave(b.backend_id, onSaved);
  const parsed = parseConfirmFields(text);

  const save = async () => {
    if (parsed.ok) await saveConfig(withConfirmFields(b.config, parsed.value));
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
          clearDone();
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
