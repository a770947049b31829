import { useMemo, useState, type ReactNode } from 'react';
import { toApiError, type ApiError } from '../../api';
import { saveBudgets } from '../../api/governance';
import type { Budget } from '../../api/types';
import { useReportError } from '../../app/errors';
import { SafeText } from '../../components/SafeText';
import { capLabel, describeBudget, diffBudgets } from '../../lib/budgetDiff';
import {
  ENFORCEMENTS,
  PERIODS,
  SCOPE_KINDS,
  parseDraft,
  sameBudget,
  validateDrafts,
  type BudgetDraft,
  type DraftField,
  type FieldError,
} from '../../lib/budgetForm';

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  try {
    const z = intl.supportedValuesOf?.('timeZone') ?? [];
    return z.includes('UTC') ? z : ['UTC', ...z];
  } catch {
    return ['UTC'];
  }
}

function errorsFor(errors: FieldError[] | undefined, field: DraftField): string[] {
  return (errors ?? []).filter((e) => e.field === field).map((e) => e.message);
}

function Field({
  label,
  errors,
  children,
  hint,
}: {
  label: string;
  errors: string[];
  children: ReactNode;
  hint?: string;
}) {
  return (
    <label className={`budget-field${errors.length ? ' invalid' : ''}`}>
      <span className="budget-field-label">{label}</span>
      {children}
      {hint ? <span className="muted small">{hint}</span> : null}
      {errors.map((m, i) => (
        <span key={i} className="warn-text small" data-testid="budget-field-error">
          {m}
        </span>
      ))}
    </label>
  );
}

function DraftForm({
  d,
  index,
  errors,
  warnings,
  onChange,
  onRemove,
  onDone,
  zonesId,
  subjectsId,
}: {
  d: BudgetDraft;
  index: number;
  errors: FieldError[] | undefined;
  warnings: string[] | undefined;
  onChange: (patch: Partial<BudgetDraft>) => void;
  onRemove: () => void;
  onDone?: (() => void) | undefined;
  zonesId: string;
  subjectsId: string;
}) {
  const e = (f: DraftField) => errorsFor(errors, f);
  return (
    <div className={`budget-edit-row active${errors?.length ? ' invalid' : ''}`} data-testid="budget-form" data-budget-id={d.budget_id} data-new={d.original ? 'false' : 'true'}>
      <div className="budget-edit-head">
        <strong>
          {d.original ? 'Editing' : 'New'} cap {index + 1}
        </strong>
        <span className="muted small">
          id <code>{d.budget_id}</code>
        </span>
        <span className="spacer" />
        {onDone ? (
          <button type="button" className="btn small" data-testid="budget-form-done" onClick={onDone}>
            Collapse
          </button>
        ) : null}
        <button type="button" className="btn small" data-testid="budget-draft-remove" onClick={onRemove}>
          {d.original ? 'Remove this cap' : 'Discard'}
        </button>
      </div>
      <div className="budget-edit-fields">
        <Field label="Scope" errors={e('scopeKind')}>
          <select
            data-testid="budget-scope-kind"
            value={d.scopeKind}
            onChange={(ev) => onChange({ scopeKind: ev.target.value as BudgetDraft['scopeKind'] })}
          >
            {SCOPE_KINDS.map((k) => (
              <option key={k} value={k}>
                {k === 'backend' ? 'whole backend' : k}
              </option>
            ))}
          </select>
        </Field>
        <Field label={d.scopeKind === 'backend' ? 'Subject' : `Which ${d.scopeKind}`} errors={e('scopeValue')}>
          <input
            type="text"
            data-testid="budget-scope-value"
            value={d.scopeKind === 'backend' ? '' : d.scopeValue}
            disabled={d.scopeKind === 'backend'}
            placeholder={d.scopeKind === 'backend' ? 'every run' : d.scopeKind === 'workflow' ? 'e.g. refund_request' : 'name'}
            list={d.scopeKind === 'workflow' ? subjectsId : undefined}
            onChange={(ev) => onChange({ scopeValue: ev.target.value })}
          />
        </Field>
        <Field label="Period" errors={e('period')}>
          <select data-testid="budget-period" value={d.period} onChange={(ev) => onChange({ period: ev.target.value as BudgetDraft['period'] })}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {p === 'run' ? 'per run' : p}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Time zone" errors={e('timeZone')} hint={d.period === 'run' ? 'not used per run' : 'calendar periods start at local midnight'}>
          <input type="text" data-testid="budget-tz" value={d.timeZone} list={zonesId} onChange={(ev) => onChange({ timeZone: ev.target.value })} />
        </Field>
        <Field label={d.period === 'run' ? 'Max cost per run (USD)' : 'Max cost in period (USD)'} errors={e('maxCost')}>
          <input type="text" inputMode="decimal" data-testid="budget-max-cost" placeholder="no limit" value={d.maxCost} onChange={(ev) => onChange({ maxCost: ev.target.value })} />
        </Field>
        <Field label="Max tool calls per run" errors={e('maxToolCalls')}>
          <input type="text" inputMode="numeric" data-testid="budget-max-tool-calls" placeholder="no limit" value={d.maxToolCalls} onChange={(ev) => onChange({ maxToolCalls: ev.target.value })} />
        </Field>
        <Field label="Max wall time per run (ms)" errors={e('maxWallMs')}>
          <input type="text" inputMode="numeric" data-testid="budget-max-wall-ms" placeholder="no limit" value={d.maxWallMs} onChange={(ev) => onChange({ maxWallMs: ev.target.value })} />
        </Field>
        <Field label="Max runs in period" errors={e('maxRuns')}>
          <input
            type="text"
            inputMode="numeric"
            data-testid="budget-max-runs"
            placeholder={d.period === 'run' ? 'n/a per run' : 'no limit'}
            value={d.maxRuns}
            onChange={(ev) => onChange({ maxRuns: ev.target.value })}
          />
        </Field>
        <Field label="Enforcement" errors={e('enforcement')} hint={d.enforcement === 'hard' ? 'backend stops runs' : 'console alerts only'}>
          <select data-testid="budget-enforcement" value={d.enforcement} onChange={(ev) => onChange({ enforcement: ev.target.value as BudgetDraft['enforcement'] })}>
            {ENFORCEMENTS.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Alert at (%)" errors={e('alert')}>
          <input type="text" inputMode="numeric" data-testid="budget-alert" value={d.alert} onChange={(ev) => onChange({ alert: ev.target.value })} />
        </Field>
      </div>
      {e('limits').map((m, i) => (
        <p key={i} className="warn-text small note" data-testid="budget-field-error">
          {m}
        </p>
      ))}
      {(warnings ?? []).map((w, i) => (
        <p key={i} className="small note caution-text" data-testid="budget-warning">
          {w}
        </p>
      ))}
    </div>
  );
}

/** A cap of the pending set that is not open in the form: one line with edit/remove. */
function DraftSummary({
  d,
  index,
  errors,
  onEdit,
  onRemove,
}: {
  d: BudgetDraft;
  index: number;
  errors: FieldError[] | undefined;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const p = parseDraft(d);
  const state = !d.original ? 'new' : p.ok && sameBudget(d.original, p.budget) ? 'unchanged' : 'changed';
  return (
    <div className={`budget-draft-line${errors?.length ? ' invalid' : ''}`} data-testid="budget-draft" data-budget-id={d.budget_id} data-state={state}>
      <span className="muted small">{index + 1}.</span>{' '}
      {p.ok ? (
        <>
          <SafeText text={capLabel(p.budget)} />
          <span className="muted small">
            {' · '}
            {describeBudget(p.budget)
              .filter(([f, v]) => f.startsWith('max') && v !== '—')
              .map(([f, v]) => `${f} ${v}`)
              .join(', ')}
          </span>
        </>
      ) : (
        <span className="warn-text">invalid: {p.errors[0]?.message}</span>
      )}{' '}
      <span className={`badge draft-${state}`}>{state}</span>
      {(errors ?? []).map((e, i) => (
        <span key={i} className="warn-text small" data-testid="budget-field-error">
          {' '}
          {e.message}
        </span>
      ))}
      <span className="spacer" />
      <button type="button" className="btn small" data-testid="budget-draft-edit" onClick={onEdit}>
        Edit
      </button>
      <button type="button" className="btn small" data-testid="budget-draft-remove" onClick={onRemove}>
        Remove
      </button>
    </div>
  );
}

/** The editor for one backend's caps: rows, validation, a before → after preview, save. */
export function BudgetEditor({
  backendId,
  backendName,
  before,
  drafts,
  setDrafts,
  activeKey,
  setActiveKey,
  changedElsewhere = false,
  onSaved,
  onCancel,
  workflows,
}: {
  backendId: string;
  backendName: string;
  before: Budget[];
  drafts: BudgetDraft[];
  setDrafts: (f: (d: BudgetDraft[]) => BudgetDraft[]) => void;
  activeKey: string | null;
  setActiveKey: (k: string | null) => void;
  /** The backend's caps changed (another edit, a sync) since this edit started. */
  changedElsewhere?: boolean;
  onSaved: (saved: Budget[]) => void;
  onCancel: () => void;
  workflows: string[];
}) {
  const report = useReportError();
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const zones = useMemo(timeZones, []);
  const validation = useMemo(() => validateDrafts(drafts), [drafts]);
  const diff = useMemo(() => (validation.budgets ? diffBudgets(before, validation.budgets) : null), [before, validation.budgets]);
  const invalidRows = Object.keys(validation.rowErrors).length;
  const zonesId = `tz-${backendId}`;
  const subjectsId = `wf-${backendId}`;

  const save = async () => {
    if (!validation.budgets) return;
    setSaving(true);
    setSaveError(null);
    try {
      const saved = await saveBudgets(backendId, validation.budgets);
      onSaved(saved);
    } catch (e) {
      const err = toApiError(e);
      setSaveError(err);
      report(err, `save_budgets (${backendName})`);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="budget-editor" data-testid="budget-editor" data-backend-id={backendId}>
      <datalist id={zonesId}>
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <datalist id={subjectsId}>
        {workflows.map((w) => (
          <option key={w} value={w} />
        ))}
      </datalist>
      {drafts.length === 0 ? <p className="empty">No caps: saving removes every cap on this backend.</p> : null}
      {changedElsewhere ? (
        <p className="caution-text note" data-testid="budget-changed-elsewhere" role="alert">
          The caps on this backend changed since you started editing. The preview compares with the caps in force now; saving replaces them with
          the set below.
        </p>
      ) : null}
      <h3>Caps after saving</h3>
      {drafts.map((d, i) => {
        const remove = () => {
          setSaveError(null);
          if (activeKey === d.key) setActiveKey(null);
          setDrafts((all) => all.filter((x) => x.key !== d.key));
        };
        return d.key === activeKey ? (
          <DraftForm
            key={d.key}
            d={d}
            index={i}
            errors={validation.rowErrors[d.key]}
            warnings={validation.warnings[d.key]}
            zonesId={zonesId}
            subjectsId={subjectsId}
            onChange={(patch) => {
              setSaveError(null);
              setDrafts((all) => all.map((x) => (x.key === d.key ? { ...x, ...patch } : x)));
            }}
            onRemove={remove}
            onDone={validation.rowErrors[d.key] ? undefined : () => setActiveKey(null)}
          />
        ) : (
          <DraftSummary key={d.key} d={d} index={i} errors={validation.rowErrors[d.key]} onEdit={() => setActiveKey(d.key)} onRemove={remove} />
        );
      })}
      {validation.setErrors.length > 0 || invalidRows > 0 ? (
        <div className="budget-errors" data-testid="budget-errors" role="alert">
          {invalidRows > 0 ? <p className="note">Fix {invalidRows === 1 ? 'the cap marked above' : `the ${invalidRows} caps marked above`} before saving.</p> : null}
          {validation.setErrors.length > 0 ? (
            <ul className="plain-list">
              {[...new Set(validation.setErrors)].map((m, i) => (
                <li key={i}>{m}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      <section className="budget-diff" data-testid="budget-diff">
        <h4>Change preview (before → after)</h4>
        {!diff ? <p className="muted note">Shown once every cap is valid.</p> : null}
        {diff && diff.length === 0 ? <p className="muted note" data-testid="budget-diff-empty">No changes.</p> : null}
        {diff && diff.length > 0 ? (
          <ul className="diff-list">
            {diff.map((x) => (
              <li key={`${x.kind}:${x.budget_id}`} className={`diff-${x.kind}`} data-testid="budget-diff-entry" data-kind={x.kind} data-budget-id={x.budget_id}>
                <span className={`badge diff-badge diff-${x.kind}`}>{x.kind}</span> <SafeText text={x.label} />{' '}
                <span className="muted small">
                  (<code>{x.budget_id}</code>)
                </span>
                <table className="diff-fields">
                  <tbody>
                    {x.fields.map((f) => (
                      <tr key={f.field}>
                        <th>{f.field}</th>
                        <td className="diff-before">
                          <SafeText text={f.before} />
                        </td>
                        <td className="arrow">→</td>
                        <td className="diff-after">
                          <SafeText text={f.after} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      {saveError ? (
        <p className="warn-text note" data-testid="budget-save-error">
          Not saved — <code>{saveError.code}</code>: <SafeText text={saveError.message} />
        </p>
      ) : null}
      <div className="budget-editor-actions">
        <button
          type="button"
          className="btn primary"
          data-testid="budget-save"
          disabled={saving || !validation.budgets || (diff !== null && diff.length === 0)}
          onClick={save}
        >
          {saving ? 'Saving…' : `Save ${drafts.length} cap${drafts.length === 1 ? '' : 's'} to ${backendName}`}
        </button>
        <button type="button" className="btn" data-testid="budget-cancel" disabled={saving} onClick={onCancel}>
          Cancel
        </button>
        <span className="muted small">Replaces every cap on this backend; the backend checks your role and the change is recorded in the audit trail.</span>
      </div>
    </div>
  );
}
