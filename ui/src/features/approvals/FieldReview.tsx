import type { ReviewField, ReviewWarning } from '../../api';
import { FIELD_KIND_HINTS } from '../../api/generated/constants';
import { SafeText } from '../../components/SafeText';
import { hasHiddenCharacters } from '../../lib/hidden';
import { KindSourceNote } from './KindSourceNote';
import { needsConfirmation, reenterState, warningKey, type Confirmations, type Edits } from '../../lib/review';

export interface FieldReviewProps {
  fields: ReviewField[];
  confirmations: Confirmations;
  onConfirm: (name: string, value: boolean | string) => void;
  /** Warnings for the values being confirmed (null while checking). */
  warnings: ReviewWarning[] | null;
  acks: ReadonlySet<string>;
  onAck: (key: string, on: boolean) => void;
  editing: boolean;
  edits: Edits;
  onEdit: (name: string, value: string) => void;
  /** No controls (item cannot be decided): values only. */
  readOnly: boolean;
}


/** Structured-field review: each value with its confirmation control and its traps. */
export function FieldReview(p: FieldReviewProps) {
  if (p.fields.length === 0) return <p className="muted">No fields to review.</p>;
  return (
    <table className="fields review-fields">
      <thead>
        <tr>
          <th>Field</th>
          <th>Value to write</th>
          <th>{p.readOnly ? 'Confirm' : p.editing ? 'Confirm or correct' : 'Confirm'}</th>
        </tr>
      </thead>
      <tbody>
        {p.fields.map((f) => (
          <FieldRow key={f.name} f={f} p={p} />
        ))}
      </tbody>
    </table>
  );
}

function FieldRow({ f, p }: { f: ReviewField; p: FieldReviewProps }) {
  const edit = p.edits[f.name];
  const edited = p.editing && f.editable && edit !== undefined && edit !== f.value;
  const fieldWarnings = (p.warnings ?? []).filter((w) => w.field === f.name);
  const c = p.confirmations[f.name];
  return (
    <tr data-testid="review-field" data-field={f.name} data-kind={f.kind} className={fieldWarnings.length ? 'has-warning' : undefined}>
      <th scope="row">
        <div>
          <SafeText text={f.label} />
        </div>
        <code className="muted small">
          <SafeText text={f.name} />
        </code>
        <div className="muted small">{FIELD_KIND_HINTS[f.kind] ?? f.kind}</div>
        <KindSourceNote source={f.kind_source} />
      </th>
      <td>
        {f.current != null ? (
          <div className="change-line" data-testid="field-change">
            <span className="field-current" title="Current value in the record">
              <SafeText text={f.current === '' ? '(empty)' : f.current} />
            </span>
            <span className="arrow" aria-label="becomes">
              {' → '}
            </span>
            <span className="field-value">
              <SafeText text={f.value} />
            </span>
          </div>
        ) : (
          <div className="field-value" data-testid="field-proposed">
            <SafeText text={f.value} />
          </div>
        )}
        {edited ? (
          <div className="correction" data-testid="field-correction">
            <span className="muted">correction: </span>
            <del>
              <SafeText text={f.value} />
            </del>
            <span className="arrow">{' → '}</span>
            <ins className="field-value">
              <SafeText text={edit} />
            </ins>
          </div>
        ) : null}
        {fieldWarnings.length > 0 ? (
          <ul className="field-warnings">
            {fieldWarnings.map((w) => {
              const key = warningKey(w);
              return (
                <li key={key} data-testid="field-warning" data-code={w.code} className={p.acks.has(key) ? 'acked' : ''}>
                  <span className="badge warn">{w.code.replace(/_/g, ' ')}</span> <SafeText text={w.message} />
                  {p.readOnly ? null : (
                    <label className="ack">
                      <input
                        type="checkbox"
                        data-testid={`ack-${w.field}-${w.code}`}
                        checked={p.acks.has(key)}
                        onChange={(e) => p.onAck(key, e.target.checked)}
                      />{' '}
                      I have checked this
                    </label>
                  )}
                </li>
              );
            })}
          </ul>
        ) : null}
      </td>
      <td className="confirm-cell">
        {p.readOnly ? (
          <span className="muted small">{!needsConfirmation(f) ? 'not required' : f.confirm === 'reenter' ? 're-enter' : 'tick'}</span>
        ) : (
          <>
            {edited ? (
              <span className="muted small">corrected by you (no confirmation needed)</span>
            ) : !needsConfirmation(f) ? (
              <span className="muted small" data-testid={`optional-${f.name}`}>
                shown for context; this backend does not require confirming it
              </span>
            ) : f.confirm === 'reenter' ? (
              <Reenter f={f} typed={typeof c === 'string' ? c : ''} onChange={(v) => p.onConfirm(f.name, v)} />
            ) : (
              <label className="tick">
                <input
                  type="checkbox"
                  data-testid={`confirm-${f.name}`}
                  checked={c === true}
                  onChange={(e) => p.onConfirm(f.name, e.target.checked)}
                />{' '}
                value is correct
              </label>
            )}
            {p.editing ? (
              f.editable ? (
                <label className="edit">
                  <span className="muted small">correct to</span>
                  <input
                    type="text"
                    data-testid={`edit-${f.name}`}
                    value={edit ?? f.value}
                    spellCheck={false}
                    autoComplete="off"
                    onChange={(e) => p.onEdit(f.name, e.target.value)}
                  />
                </label>
              ) : (
                <span className="muted small locked">locked: cannot be edited</span>
              )
            ) : null}
          </>
        )}
      </td>
    </tr>
  );
}

function Reenter({ f, typed, onChange }: { f: ReviewField; typed: string; onChange: (v: string) => void }) {
  const st = reenterState(f, typed);
  const hint =
    st === 'match' ? 'matches' : st === 'mismatch' ? 'does not match' : st === 'partial' ? 'keep typing…' : 'type the value exactly';
  return (
    <label className={`reenter reenter-${st}`}>
      <span className="muted small">re-type the value</span>
      <input
        type="text"
        data-testid={`reenter-${f.name}`}
        value={typed}
        spellCheck={false}
        autoComplete="off"
        onPaste={(e) => e.preventDefault()}
        onDrop={(e) => e.preventDefault()}
        aria-invalid={st === 'mismatch'}
        onChange={(e) => onChange(e.target.value)}
      />
      <span className="reenter-state small" data-testid={`reenter-state-${f.name}`} data-state={st}>
        {st === 'match' ? '✓ ' : st === 'mismatch' ? '✗ ' : ''}
        {hint}
      </span>
      {hasHiddenCharacters(f.value) ? (
        <span className="warn-text small" data-testid={`reenter-hidden-${f.name}`}>
          The proposed value contains hidden characters, so it cannot be typed back: correct it or deny.
        </span>
      ) : null}
    </label>
  );
}
