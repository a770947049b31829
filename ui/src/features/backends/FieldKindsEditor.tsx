import { useState } from 'react';
import type { BackendView } from '../../api';
import { FIELD_KIND_HINTS } from '../../api/generated/constants';
import { optionLabel } from '../../lib/clip';
import { useConfigSave } from './useConfigSave';
import {
  FIELD_KINDS,
  addFieldKindRow,
  changeFieldKindRow,
  fieldKindRows,
  isFieldKind,
  parseFieldKindRows,
  removeFieldKindRow,
  sameFieldKinds,
  withFieldKinds,
  type FieldKindRow,
} from './fieldKinds';

/** One argument's kind: action, argument, kind (with its hint) and a remove button. */
function FieldKindRowEditor({
  row,
  index,
  onChange,
  onRemove,
}: {
  row: FieldKindRow;
  index: number;
  onChange: (patch: Partial<FieldKindRow>) => void;
  onRemove: () => void;
}) {
  const known = isFieldKind(row.kind);
  return (
    <tr data-testid="field-kinds-row" data-action={row.action} data-argument={row.argument} data-kind={row.kind}>
      <td>
        <input
          type="text"
          data-testid="field-kinds-action"
          aria-label={`Action name, row ${index + 1}`}
          placeholder="issue_refund"
          value={row.action}
          spellCheck={false}
          onChange={(e) => onChange({ action: e.target.value })}
        />
      </td>
      <td>
        <input
          type="text"
          data-testid="field-kinds-argument"
          aria-label={`Argument name, row ${index + 1}`}
          placeholder="amount_eur"
          value={row.argument}
          spellCheck={false}
          onChange={(e) => onChange({ argument: e.target.value })}
        />
      </td>
      <td>
        <select
          data-testid="field-kinds-kind"
          aria-label={`Kind, row ${index + 1}`}
          value={row.kind}
          aria-invalid={known ? undefined : true}
          onChange={(e) => onChange({ kind: e.target.value })}
        >
          {known ? null : <option value={row.kind}>unknown: {optionLabel(row.kind, 40)}</option>}
          {FIELD_KINDS.map((k) => (
            <option key={k} value={k} title={FIELD_KIND_HINTS[k]}>
              {k}
            </option>
          ))}
        </select>{' '}
        <span className="muted small" data-testid="field-kinds-hint">
          {isFieldKind(row.kind) ? FIELD_KIND_HINTS[row.kind] : 'not a kind: pick one'}
        </span>
      </td>
      <td>
        <button type="button" className="link-button small" data-testid="field-kinds-remove" onClick={onRemove}>
          remove
        </button>
      </td>
    </tr>
  );
}

/**
 * LangGraph Server backends: the kind of an action's argument (money, currency, region,
 * identifier, text, bool) where the tool's argument schema does not say it and the name does
 * not give it away, so the review checks the value as that kind instead of as free text.
 * Saved into the backend's config as `field_kinds`, other settings kept; applies from the next
 * sync.
 */
export function FieldKindsEditor({ b, onSaved }: { b: BackendView; onSaved?: (saved: BackendView) => void }) {
  const [rows, setRows] = useState<FieldKindRow[]>(() => fieldKindRows(b.config));
  const { busy, done, clearDone, save: saveConfig } = useConfigSave(b.backend_id, onSaved);
  const parsed = parseFieldKindRows(rows);
  const unchanged = parsed.ok && sameFieldKinds(parsed.value, b.config);

  const edit = (next: FieldKindRow[]) => {
    setRows(next);
    clearDone();
  };

  const save = async () => {
    if (parsed.ok) await saveConfig(withFieldKinds(b.config, parsed.value));
  };

  return (
    <section className="field-kinds" data-testid="field-kinds">
      <h4>Kinds of arguments, per action</h4>
      <p className="muted small">
        Where the tool's argument schema does not say what an argument holds, its kind is inferred from its name or it is
        reviewed as text. Set it here so the review checks it as money, an identifier and so on.
      </p>
      {rows.length > 0 ? (
        <table className="fields field-kinds-table">
          <thead>
            <tr>
              <th>Action</th>
              <th>Argument</th>
              <th>Kind</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <FieldKindRowEditor
                key={i}
                row={r}
                index={i}
                onChange={(patch) => edit(changeFieldKindRow(rows, i, patch))}
                onRemove={() => edit(removeFieldKindRow(rows, i))}
              />
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted small" data-testid="field-kinds-empty">
          No kinds set: every argument's kind comes from its schema or its name.
        </p>
      )}
      <div className="decide-row">
        <button
          type="button"
          className="btn"
          data-testid="field-kinds-add"
          onClick={() => edit(addFieldKindRow(rows, rows[rows.length - 1]?.action ?? ''))}
        >
          Add argument
        </button>
        <button type="button" className="btn" data-testid="field-kinds-save" disabled={busy || !parsed.ok || unchanged} onClick={save}>
          Save kinds
        </button>
        {!parsed.ok ? (
          <span className="warn-text small" data-testid="field-kinds-error">
            {parsed.error}
          </span>
        ) : done ? (
          <span className="ok-text small">Saved; applies from the next sync.</span>
        ) : null}
      </div>
    </section>
  );
}
