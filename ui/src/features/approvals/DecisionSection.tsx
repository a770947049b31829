import type { Dispatch } from 'react';
import type { PendingAction, ReviewInput, ReviewWarning } from '../../api';
import {
  allows,
  approveReview,
  approveWithEditsReview,
  canApprove,
  canApproveWithEdits,
  type Gate,
} from '../../lib/review';
import { DEFAULT_MIN_REVIEW_MS } from '../../api/generated/constants';
import { useAppInfo } from '../../app/useAppInfo';
import { DecideError } from './DecideError';
import { DenyRow, EscalateRow } from './ReasonRows';
import type { ReviewAction, ReviewState } from './useReviewState';


/** The decision controls: approve as proposed or with corrections, deny, escalate (as the backend allows). */
export function DecisionSection({
  action: a,
  review,
  dispatch,
  proposedWarnings,
  editWarnings,
  onSubmit,
}: {
  action: PendingAction;
  review: ReviewState;
  dispatch: Dispatch<ReviewAction>;
  /** Warnings for the proposed values (null while checking). */
  proposedWarnings: ReviewWarning[] | null;
  /** Warnings for the corrected values (null while checking or not correcting). */
  editWarnings: ReviewWarning[] | null;
  onSubmit: (review: ReviewInput) => void;
}) {
  const { busy, editing, confirmations, edits, acks } = review;
  // The console records the opening (open_review) before an approval can be sent.
  const opening = review.openedAt === null;
  const approveGate = canApprove(a.fields, confirmations, proposedWarnings, acks);
  const editGate = canApproveWithEdits(a.fields, confirmations, edits, editWarnings, acks);
  const minReviewS = (useAppInfo()?.min_review_ms ?? DEFAULT_MIN_REVIEW_MS) / 1000;
  return (
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
            disabled={busy || opening || !approveGate.ok}
            onClick={() => proposedWarnings && onSubmit(approveReview(a.fields, confirmations, proposedWarnings, acks))}
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
            disabled={busy || opening || !editGate.ok}
            onClick={() => editWarnings && onSubmit(approveWithEditsReview(a.fields, edits, editWarnings, acks, review.editNote))}
          >
            Approve with corrections
          </button>
          <input
            type="text"
            className="note-input"
            placeholder="note on the correction (optional)"
            value={review.editNote}
            data-testid="edit-note"
            onChange={(e) => dispatch({ type: 'text', input: 'editNote', value: e.target.value })}
          />
          <Missing gate={editGate} testId="edit-missing" />
        </div>
      )}
      {allows(a, 'approve_with_edits') ? (
        <div className="decide-row">
          <button
            type="button"
            className="btn"
            data-testid="edit-toggle"
            aria-pressed={editing}
            onClick={() => dispatch({ type: 'toggleEditing' })}
            disabled={busy}
          >
            {editing ? 'Cancel corrections' : 'Correct values…'}
          </button>
          {!a.fields.some((f) => f.editable) ? <span className="muted small">no field of this write can be edited</span> : null}
        </div>
      ) : null}
      {allows(a, 'deny') ? <DenyRow action={a} review={review} dispatch={dispatch} onSubmit={onSubmit} /> : null}
      {allows(a, 'escalate') ? <EscalateRow review={review} dispatch={dispatch} onSubmit={onSubmit} /> : null}
      {review.error ? <DecideError error={review.error} /> : null}
      <p className="muted small">
        Approvals made within {minReviewS} s of opening are flagged as too fast in the audit trail; the time you took is
        recorded with the decision.
      </p>
    </section>
  );
}

/** What the gate still needs, or "ready". */
function Missing({ gate, testId }: { gate: Gate; testId: string }) {
  if (gate.ok) return <span className="ok-text small" data-testid={testId}>ready</span>;
  return (
    <span className="muted small" data-testid={testId}>
      Still needed: {gate.missing.join('; ')}
    </span>
  );
}
