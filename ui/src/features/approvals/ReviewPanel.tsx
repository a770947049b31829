import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  decideAction,
  getRun,
  listOutbox,
  reviewWarnings,
  rollbackAction,
  toApiError,
  type ActionItem,
  type ApiError,
  type EscalationRole,
  type OutboxEntry,
  type PendingAction,
  type ReviewInput,
  type ReviewWarning,
  type Run,
} from '../../api';
import { useLoad } from '../../app/useLoad';
import { useNow } from '../../app/useNow';
import { RiskBadge, StatusBadge } from '../../components/Badges';
import { JsonBlock } from '../../components/JsonBlock';
import { PolicyChecks } from '../../components/PolicyChecks';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { isEmptyJson } from '../../lib/json';
import { notDecidableReason, statusAt, timeLeft } from '../../lib/queue';
import {
  allows,
  approveReview,
  approveWithEditsReview,
  canApprove,
  canApproveWithEdits,
  canDeny,
  canRollback,
  denyReview,
  escalateReview,
  canEscalate,
  dropAcksFor,
  valuesWithEdits,
  type Confirmations,
  type Edits,
} from '../../lib/review';
import { Citations } from '../runs/Citations';
import { TraceView } from '../runs/TraceView';
import { DeliveryState } from './DeliveryState';
import { FieldReview } from './FieldReview';

/** Decisions faster than this after opening are flagged in the audit trail (Rust default). */
const MIN_REVIEW_S = 4;

interface WarningState {
  key: string;
  warnings: ReviewWarning[] | null;
  error: ApiError | null;
}

/** Loads the warnings for `values` (debounced); null while the answer for these values is pending. */
function useWarnings(backendId: string, actionId: string, values: Record<string, string> | null): WarningState {
  const key = values ? JSON.stringify(values) : '';
  const [st, setSt] = useState<WarningState>({ key: '', warnings: null, error: null });
  useEffect(() => {
    if (!values) return;
    let dead = false;
    const t = setTimeout(
      () => {
        reviewWarnings(backendId, actionId, values)
          .then((w) => !dead && setSt({ key, warnings: w, error: null }))
          .catch((e) => !dead && setSt({ key, warnings: null, error: toApiError(e) }));
      },
      st.key === '' ? 0 : 200,
    );
    return () => {
      dead = true;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backendId, actionId, key]);
  return st.key === key ? st : { key, warnings: null, error: null };
}

function errorLine(e: ApiError): string {
  switch (e.code) {
    case 'expired':
      return `Expired: the deadline passed before the decision was recorded. ${e.message}`;
    case 'conflict':
      return `Conflict: this action was already decided elsewhere. ${e.message}`;
    case 'already_queued':
      return `A decision for this action is already waiting to send. ${e.message}`;
    case 'review_incomplete':
      return `The review is incomplete: ${e.message}`;
    case 'forbidden':
      return `Not allowed: ${e.message}`;
    default:
      return `${e.code}: ${e.message}`;
  }
}

export function ReviewPanel({
  item,
  right,
  onBack,
  onOpenRun,
}: {
  item: ActionItem;
  /** Whether this identity may decide it (null while loading). */
  right?: { ok: boolean; why: string | null } | null;
  onBack: () => void;
  onOpenRun: (backendId: string, runId: string) => void;
}) {
  const a = item.action;
  const backendId = item.backend_id;
  // When the reviewer opened the item (sent with the decision; time-to-decide is audited).
  const [openedAt] = useState(() => new Date().toISOString());
  const now = useNow(1000);
  const status = statusAt(item, now);
  const left = timeLeft(a.expires_at, now);
  const openFor = Math.max(0, Math.floor((now.getTime() - new Date(openedAt).getTime()) / 1000));

  const run = useLoad(() => getRun(backendId, a.run_id), `${backendId}/${a.run_id}`, 'get_run');
  const outbox = useLoad(() => listOutbox(backendId, a.action_id), `outbox:${backendId}/${a.action_id}`, 'list_outbox');

  const [confirmations, setConfirmations] = useState<Confirmations>({});
  const [acks, setAcks] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState(false);
  const [edits, setEdits] = useState<Edits>({});
  const [editNote, setEditNote] = useState('');
  const [pickedReason, setPickedReason] = useState('');
  const [reasonText, setReasonText] = useState('');
  const [rollbackReason, setRollbackReason] = useState('');
  const [escalateRole, setEscalateRole] = useState<EscalationRole | ''>('');
  const [escalateReason, setEscalateReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [lastEntry, setLastEntry] = useState<OutboxEntry | null>(null);

  const proposed = useMemo(() => valuesWithEdits(a.fields, {}), [a.fields]);
  const corrected = useMemo(() => valuesWithEdits(a.fields, edits), [a.fields, edits]);
  const decidable = status === 'pending';
  const proposedW = useWarnings(backendId, a.action_id, decidable ? proposed : null);
  const editW = useWarnings(backendId, a.action_id, decidable && editing ? corrected : null);
  const shown = editing ? editW : proposedW;

  const entries = outbox.data ?? [];
  const decisionEntry =
    [lastEntry, ...entries].filter((e): e is OutboxEntry => !!e && e.op === 'decision').sort((x, y) => y.id - x.id)[0] ?? null;
  const freshDecision = decisionEntry ? (entries.find((e) => e.id === decisionEntry.id) ?? decisionEntry) : null;
  const rollbackEntry = entries.find((e) => e.op === 'rollback') ?? (lastEntry?.op === 'rollback' ? lastEntry : null);
  // A decision that is waiting, delivered or answered with a conflict settles the item here;
  // a rejected one leaves the reviewer free to decide again.
  const decidedHere = !!freshDecision && freshDecision.state !== 'rejected';
  const showControls = decidable && !decidedHere && right?.ok !== false;

  const approveGate = canApprove(a.fields, confirmations, proposedW.warnings, acks);
  const editGate = canApproveWithEdits(a.fields, confirmations, edits, editW.warnings, acks);
  const denyGate = canDeny(pickedReason, reasonText);
  const rollbackGate = canRollback(status, a.rollback_supported, rollbackReason);

  const submit = useCallback(
    async (review: ReviewInput) => {
      setBusy(true);
      setError(null);
      try {
        const e = await decideAction(backendId, a.action_id, review, openedAt);
        setLastEntry(e);
        outbox.reload();
      } catch (e) {
        setError(toApiError(e));
      } finally {
        setBusy(false);
      }
    },
    [backendId, a.action_id, openedAt, outbox],
  );

  const rollback = async () => {
    setBusy(true);
    setError(null);
    try {
      setLastEntry(await rollbackAction(backendId, a.action_id, rollbackReason.trim()));
      outbox.reload();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  };

  const onEdit = (name: string, value: string) => {
    setEdits((x) => ({ ...x, [name]: value }));
    setAcks((s) => dropAcksFor(s, name));
  };

  const toggleEdit = () => {
    if (editing) {
      for (const n of Object.keys(edits)) setAcks((s) => dropAcksFor(s, n));
      setEdits({});
    }
    setEditing(!editing);
  };

  const backRef = useRef<HTMLButtonElement>(null);
  useEffect(() => backRef.current?.focus(), []);

  const why = notDecidableReason(status, a.decided_by);

  return (
    <section className="view review-panel" data-testid="review-panel" data-action-id={a.action_id} data-status={status}>
      <header className="view-header">
        <div className="view-title">
          <button type="button" className="btn" onClick={onBack} data-testid="review-back" ref={backRef}>
            ← Queue
          </button>
          <h1>
            <SafeText text={a.title} />
          </h1>
          <div className="review-meta">
            <RiskBadge risk={a.risk} /> <StatusBadge status={status} />{' '}
            <code>
              <SafeText text={a.target.system} />/<SafeText text={a.target.record_id} />
            </code>{' '}
            <span className="muted">
              · <SafeText text={item.backend_name || backendId} /> · requested <TimeText value={a.requested_at} compact />
            </span>
          </div>
        </div>
        <div className="review-clock">
          {status === 'pending' ? (
            <div className={left.urgent ? 'time-left urgent' : 'time-left'} data-testid="time-left">
              {left.text} left
            </div>
          ) : null}
          <div className="muted small" data-testid="open-for" title={`opened ${openedAt}`}>
            open for {openFor} s
          </div>
        </div>
      </header>

      <div className="review-grid">
        <div className="review-main">
          <section className="detail-section">
            <h2>Proposed write</h2>
            <FieldReview
              fields={a.fields}
              confirmations={confirmations}
              onConfirm={(n, v) => setConfirmations((c) => ({ ...c, [n]: v }))}
              warnings={showControls ? shown.warnings : null}
              acks={acks}
              onAck={(k, on) =>
                setAcks((s) => {
                  const n = new Set(s);
                  if (on) n.add(k);
                  else n.delete(k);
                  return n;
                })
              }
              editing={showControls && editing}
              edits={edits}
              onEdit={onEdit}
              readOnly={!showControls}
            />
            {showControls && shown.error ? (
              <p className="warn-text" data-testid="warnings-error">
                Could not check the values for traps ({shown.error.code}: {shown.error.message}); approval stays closed.
              </p>
            ) : null}
            {!isEmptyJson(a.proposed) ? (
              <details>
                <summary>Raw proposed payload</summary>
                <JsonBlock value={a.proposed} />
              </details>
            ) : null}
          </section>

          {why ? (
            <p className={`not-decidable status-${status}`} data-testid="not-decidable">
              <SafeText text={why} />
            </p>
          ) : null}

          {decidable && right && !right.ok ? (
            <p className="not-decidable" data-testid="not-allowed">
              <SafeText text={right.why ?? ''} />
            </p>
          ) : null}
          {showControls ? (
            <section className="detail-section decision" data-testid="decision-controls">
              <h2>Decision</h2>
              {a.allowed_decisions && a.allowed_decisions.length > 0 ? (
                <p className="muted small" data-testid="allowed-decisions">
                  This backend accepts: {a.allowed_decisions.map((d) => d.replace(/_/g, ' ')).join(', ')}.
                </p>
              ) : null}
              {!editing && !allows(a, 'approve') ? null : !editing ? (
                <div className="decide-row primary-row">
                  <button
                    type="button"
                    className="btn primary"
                    data-testid="approve"
                    disabled={busy || !approveGate.ok}
                    onClick={() => proposedW.warnings && submit(approveReview(a.fields, confirmations, proposedW.warnings, acks))}
                  >
                    Approve as proposed
                  </button>
                  <Missing gate={approveGate} testId="approve-missing" />
                </div>
              ) : (
                <div className="decide-row primary-row">
                  <button
                    type="button"
                    className="btn primary"
                    data-testid="approve-with-edits"
                    disabled={busy || !editGate.ok}
                    onClick={() => editW.warnings && submit(approveWithEditsReview(a.fields, edits, editW.warnings, acks, editNote))}
                  >
                    Approve with corrections
                  </button>
                  <input
                    type="text"
                    className="note-input"
                    placeholder="note on the correction (optional)"
                    value={editNote}
                    data-testid="edit-note"
                    onChange={(e) => setEditNote(e.target.value)}
                  />
                  <Missing gate={editGate} testId="edit-missing" />
                </div>
              )}
              {allows(a, 'approve_with_edits') ? (
                <div className="decide-row">
                  <button type="button" className="btn" data-testid="edit-toggle" aria-pressed={editing} onClick={toggleEdit} disabled={busy}>
                    {editing ? 'Cancel corrections' : 'Correct values…'}
                  </button>
                  {!a.fields.some((f) => f.editable) ? <span className="muted small">no field of this write can be edited</span> : null}
                </div>
              ) : null}
              {allows(a, 'deny') ? (
              <div className="decide-row deny-row">
                <select value={pickedReason} onChange={(e) => setPickedReason(e.target.value)} data-testid="deny-reason" aria-label="Deny reason">
                  <option value="">Reason to deny…</option>
                  {a.deny_reasons.map((x) => (
                    <option key={x} value={x}>
                      {x}
                    </option>
                  ))}
                </select>
                <input
                  type="text"
                  className="note-input"
                  placeholder="or write a reason"
                  value={reasonText}
                  data-testid="deny-reason-text"
                  onChange={(e) => setReasonText(e.target.value)}
                />
                <button
                  type="button"
                  className="btn danger"
                  data-testid="deny"
                  disabled={busy || !denyGate.ok}
                  onClick={() => submit(denyReview(pickedReason, reasonText))}
                >
                  Deny
                </button>
                {!denyGate.ok ? <span className="muted small">a denial needs a reason</span> : null}
              </div>
              ) : null}
              {allows(a, 'escalate') ? (
              <div className="decide-row escalate-row">
                <select
                  value={escalateRole}
                  onChange={(e) => setEscalateRole(e.target.value as EscalationRole | '')}
                  data-testid="escalate-role"
                  aria-label="Escalate to role"
                >
                  <option value="">Escalate to…</option>
                  <option value="finance">finance</option>
                  <option value="admin">admin</option>
                </select>
                <input
                  type="text"
                  className="note-input"
                  placeholder="why it needs another role"
                  value={escalateReason}
                  data-testid="escalate-reason"
                  onChange={(e) => setEscalateReason(e.target.value)}
                />
                <button
                  type="button"
                  className="btn"
                  data-testid="escalate"
                  disabled={busy || !canEscalate(escalateRole, escalateReason)}
                  onClick={() => escalateRole && submit(escalateReview(escalateRole, escalateReason))}
                >
                  Escalate
                </button>
              </div>
              ) : null}
              {error ? (
                <p className="warn-text" role="alert" data-testid="decide-error" data-code={error.code}>
                  <SafeText text={errorLine(error)} />
                </p>
              ) : null}
              <p className="muted small">
                Approvals made within {MIN_REVIEW_S} s of opening are flagged as too fast in the audit trail; the time you took is
                recorded with the decision.
              </p>
            </section>
          ) : null}

          {freshDecision ? <DeliveryState entry={freshDecision} /> : null}

          {(status === 'executed' && a.rollback_supported) || rollbackEntry ? (
            <section className="detail-section" data-testid="rollback-section">
              <h2>Roll back</h2>
              {rollbackEntry && (rollbackEntry.state !== 'rejected' || status !== 'executed') ? (
                <DeliveryState entry={rollbackEntry} />
              ) : (
                <div className="decide-row">
                  <input
                    type="text"
                    className="note-input"
                    placeholder="why undo this write?"
                    value={rollbackReason}
                    data-testid="rollback-reason"
                    onChange={(e) => setRollbackReason(e.target.value)}
                  />
                  <button type="button" className="btn danger" data-testid="rollback" disabled={busy || !rollbackGate.ok} onClick={rollback}>
                    Roll back
                  </button>
                  {rollbackEntry ? <DeliveryState entry={rollbackEntry} /> : null}
                </div>
              )}
              {!showControls && error ? (
                <p className="warn-text" role="alert" data-testid="decide-error" data-code={error.code}>
                  <SafeText text={errorLine(error)} />
                </p>
              ) : null}
            </section>
          ) : null}
        </div>

        <RunContext backendId={backendId} action={a} run={run.data?.run ?? null} loading={run.loading} failed={run.failed} onOpenRun={onOpenRun} />
      </div>
    </section>
  );
}

/** The run that produced the action: rationale, confidence, checks, citations, trace. Memoised so
 * the review clock ticking every second does not re-render long traces. */
const RunContext = memo(function RunContext({
  backendId,
  action: a,
  run: r,
  loading,
  failed,
  onOpenRun,
}: {
  backendId: string;
  action: PendingAction;
  run: Run | null;
  loading: boolean;
  failed: boolean;
  onOpenRun: (backendId: string, runId: string) => void;
}) {
  const failedChecks = a.policy_checks.filter((c) => !c.passed).length;
  return (
    <aside className="review-run" data-testid="review-run">
      <section className="detail-section">
        <h2>
          Why the agent proposed it{' '}
          <button type="button" className="link-button small" onClick={() => onOpenRun(backendId, a.run_id)} data-testid="open-run">
            run <SafeText text={a.run_id} />
          </button>
        </h2>
        <dl className="kv">
          <dt>Confidence</dt>
          <dd data-testid="confidence">{a.confidence != null ? `${Math.round(a.confidence * 100)}%` : '—'}</dd>
          {r ? (
            <>
              <dt>Workflow</dt>
              <dd>
                <SafeText text={r.workflow} /> <span className="muted"><SafeText text={r.workflow_version} /></span> ·{' '}
                <SafeText text={r.model} />
              </dd>
              <dt>Requested by</dt>
              <dd>
                <SafeText text={r.user_id} />
                {r.team ? (
                  <span className="muted">
                    {' '}
                    (<SafeText text={r.team} />)
                  </span>
                ) : null}
              </dd>
            </>
          ) : null}
        </dl>
        <h4>Rationale</h4>
        <p className="prose" data-testid="rationale">
          {a.rationale ? <SafeText text={a.rationale} /> : <span className="muted">No rationale given.</span>}
        </p>
      </section>
      <section className="detail-section">
        <h2>Policy checks {failedChecks ? <span className="badge fail">{failedChecks} failed</span> : null}</h2>
        <PolicyChecks checks={a.policy_checks.length ? a.policy_checks : (r?.policy_checks ?? [])} />
      </section>
      {loading && !r ? <p className="muted">Loading the run…</p> : null}
      {failed && !r ? <p className="empty">The run that produced this action could not be loaded.</p> : null}
      {r ? (
        <>
          <section className="detail-section">
            <h2>Citations ({r.citations.length})</h2>
            <Citations citations={r.citations} />
          </section>
          <section className="detail-section">
            <h2>Trace ({r.tool_calls.length} tool calls)</h2>
            <p className="muted small" data-testid="trace-summary">
              {r.tool_calls.map((c) => c.tool).join(' → ') || 'no tool calls'}
            </p>
            <details>
              <summary>Show each call</summary>
              <TraceView calls={r.tool_calls} />
            </details>
          </section>
        </>
      ) : null}
    </aside>
  );
});

function Missing({ gate, testId }: { gate: { ok: boolean; missing: string[] }; testId: string }) {
  if (gate.ok) return <span className="ok-text small" data-testid={testId}>ready</span>;
  return (
    <span className="muted small" data-testid={testId}>
      Still needed: {gate.missing.join('; ')}
    </span>
  );
}
