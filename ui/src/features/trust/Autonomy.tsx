import { useState } from 'react';
import { setWorkflowAutonomy, workflowAutonomy } from '../../api';
import type { AutonomyChange, AutonomyLevel, AutonomyView, Scorecard } from '../../api/types';
import { useReportError } from '../../app/errors';
import { useLoad } from '../../app/useLoad';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';

/** The levels, lowest first, with what each does. */
export const AUTONOMY_LEVELS: { level: AutonomyLevel; label: string; what: string }[] = [
  { level: 'read_only', label: 'Read-only', what: 'every write is refused' },
  { level: 'draft', label: 'Draft', what: 'writes are recorded as drafts, never executed' },
  { level: 'approve_every_write', label: 'Approve every write', what: 'a reviewer approves each write' },
  { level: 'sampled_approval', label: 'Sampled approval', what: 'a share is reviewed; the rest execute at once with undo' },
  { level: 'autonomous_within_caps', label: 'Autonomous within caps', what: 'writes execute at once with undo; budgets still apply' },
];

export function levelLabel(l: AutonomyLevel): string {
  return AUTONOMY_LEVELS.find((x) => x.level === l)?.label ?? l;
}

const rank = (l: AutonomyLevel) => AUTONOMY_LEVELS.findIndex((x) => x.level === l);

/** A level and its reviewed share (percent, sampled approval only). */
export interface Setting {
  level: AutonomyLevel;
  samplePercent: number;
}

/** Whether `to` gives the workflow more autonomy than `from` (a higher level, or fewer sampled). */
export function isRaise(from: Setting, to: Setting): boolean {
  if (rank(to.level) !== rank(from.level)) return rank(to.level) > rank(from.level);
  return to.level === 'sampled_approval' && to.samplePercent < from.samplePercent;
}

/** The readiness rows that fail. */
export function failingRows(card: Scorecard): string[] {
  return card.rows.filter((r) => r.status === 'fail').map((r) => r.criterion);
}

/** Whether a change needs a typed justification: it raises the level while a row fails. */
export function needsJustification(from: Setting, to: Setting, failing: string[]): boolean {
  return failing.length > 0 && isRaise(from, to);
}

export type Gate = { ok: true; justification: string | null } | { ok: false; message: string };

/** The justification gate as the command applies it: a raise past a failing row needs text. */
export function autonomyGate(from: Setting, to: Setting, failing: string[], justification: string): Gate {
  const typed = justification.trim();
  if (needsJustification(from, to, failing) && typed === '') {
    return { ok: false, message: `Raising the level while ${failing.join(', ')} fails needs a justification (it goes into the audit trail).` };
  }
  if (to.level === 'sampled_approval' && !(Number.isInteger(to.samplePercent) && to.samplePercent >= 1 && to.samplePercent <= 99)) {
    return { ok: false, message: 'Reviewed share: a whole percentage from 1 to 99.' };
  }
  return { ok: true, justification: typed === '' ? null : typed };
}

/** Checks the gate, then sets the level; resolves to the change or the gate's message. */
export async function submitAutonomy(
  view: AutonomyView,
  to: Setting,
  failing: string[],
  justification: string,
): Promise<AutonomyChange | string> {
  const from = { level: view.state.level, samplePercent: view.state.sample_percent };
  const gate = autonomyGate(from, to, failing, justification);
  if (!gate.ok) return gate.message;
  return setWorkflowAutonomy(
    view.backend_id,
    view.state.workflow,
    to.level,
    to.level === 'sampled_approval' ? to.samplePercent : 0,
    gate.justification,
  );
}

/** One backend's level of a workflow, with the control to change it. */
export function AutonomyRowView({
  view,
  failing,
  onSaved,
  initial,
}: {
  view: AutonomyView;
  failing: string[];
  onSaved: () => void;
  initial?: Setting;
}) {
  const report = useReportError();
  const current: Setting = { level: view.state.level, samplePercent: view.state.sample_percent };
  const [to, setTo] = useState<Setting>(initial ?? current);
  const [justification, setJustification] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const needs = needsJustification(current, to, failing);
  const changed = to.level !== current.level || (to.level === 'sampled_approval' && to.samplePercent !== current.samplePercent);
  const save = () => {
    setSaving(true);
    setError(null);
    submitAutonomy(view, to, failing, justification)
      .then((r) => {
        if (typeof r === 'string') setError(r);
        else {
          setJustification('');
          onSaved();
        }
      })
      .catch((e) => {
        setError(e && typeof e === 'object' && 'message' in e ? String((e as { message: unknown }).message) : String(e));
        report(e, 'set_workflow_autonomy');
      })
      .finally(() => setSaving(false));
  };
  const s = view.state;
  return (
    <li className="autonomy-row" data-testid="autonomy" data-backend={view.backend_id} data-level={s.level} data-enforced={String(view.enforced)}>
      <div>
        <strong><SafeText text={view.backend_name} /></strong>:{' '}
        <span className="badge" data-testid="autonomy-level" data-level={s.level}>
          {levelLabel(s.level)}
          {s.level === 'sampled_approval' ? ` (${s.sample_percent} % reviewed)` : ''}
        </span>{' '}
        {view.enforced ? (
          <span className="muted small">enforced by the backend</span>
        ) : (
          <span className="badge warn" data-testid="autonomy-advisory">
            Advisory: this backend cannot enforce a level; it is kept in this console only
          </span>
        )}
      </div>
      <div className="muted small">
        {s.set_by ? (
          <>
            Set by <SafeText text={s.set_by} />
            {s.updated_at ? (
              <>
                {' '}
                <TimeText value={s.updated_at} compact />
              </>
            ) : null}
            {s.justification ? (
              <>
                {' '}— “<SafeText text={s.justification} />”
              </>
            ) : null}
          </>
        ) : (
          'Default level'
        )}
        {view.enforced ? (
          <span data-testid="autonomy-refused" data-count={s.refused_writes}>
            {' '}· writes refused by the level: {s.refused_writes}
            {s.last_refused_at ? (
              <>
                {' '}(last <TimeText value={s.last_refused_at} compact />)
              </>
            ) : null}
          </span>
        ) : null}
      </div>
      {view.can_edit ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <div className="filters">
            <label>
              Level{' '}
              <select
                data-testid="autonomy-select"
                value={to.level}
                onChange={(e) => setTo({ level: e.target.value as AutonomyLevel, samplePercent: to.samplePercent || 10 })}
              >
                {AUTONOMY_LEVELS.map((l) => (
                  <option key={l.level} value={l.level} title={l.what}>
                    {l.label}
                  </option>
                ))}
              </select>
            </label>
            {to.level === 'sampled_approval' ? (
              <label>
                Reviewed{' '}
                <input
                  type="number"
                  min={1}
                  max={99}
                  data-testid="autonomy-sample"
                  value={to.samplePercent}
                  onChange={(e) => setTo({ ...to, samplePercent: Number(e.target.value) })}
                />{' '}
                %
              </label>
            ) : null}
          </div>
          {needs ? (
            <label className="autonomy-justification" style={{ display: 'block' }} data-testid="autonomy-justification-prompt">
              <span className="warn-text">
                Readiness rows failing: {failing.join(', ')}. Raising the level needs a justification (recorded in the audit trail).
              </span>
              <br />
              <textarea
                data-testid="autonomy-justification"
                rows={2}
                value={justification}
                onChange={(e) => setJustification(e.target.value)}
              />
            </label>
          ) : null}
          <button type="submit" className="btn small primary" data-testid="autonomy-save" disabled={saving || !changed}>
            Set level
          </button>
        </form>
      ) : (
        <p className="muted small" data-testid="autonomy-readonly">Only an admin of this backend can change the level.</p>
      )}
      {error ? (
        <p className="warn-text" role="alert" data-testid="autonomy-error">
          {error}
        </p>
      ) : null}
    </li>
  );
}

/** A workflow's autonomy level on each backend it runs on. */
export function AutonomyPanel({ card, onChanged }: { card: Scorecard; onChanged: () => void }) {
  const levels = useLoad(() => workflowAutonomy(card.workflow), card.workflow, 'workflow_autonomy');
  const failing = failingRows(card);
  return (
    <div className="detail-section" data-testid="autonomy-panel" data-workflow={card.workflow}>
      <h4>Autonomy level</h4>
      {levels.data && levels.data.length === 0 ? <p className="muted small">No backend runs this workflow.</p> : null}
      <ul className="plain-list">
        {(levels.data ?? []).map((v) => (
          <AutonomyRowView
            key={`${v.backend_id}|${v.state.level}|${v.state.sample_percent}`}
            view={v}
            failing={failing}
            onSaved={() => {
              levels.reload();
              onChanged();
            }}
          />
        ))}
      </ul>
    </div>
  );
}
