import type { Dispatch } from 'react';
import type { EscalationRole, PendingAction, ReviewInput } from '../../api';
import { canDeny, canEscalate, denyReview, escalateReview } from '../../lib/review';
import type { ReviewAction, ReviewState } from './useReviewState';
import { ClippedOption } from '../../components/Clipped';

/** Props shared by the decision rows that need a reason. */
export interface ReasonRowProps {
  review: ReviewState;
  dispatch: Dispatch<ReviewAction>;
  onSubmit: (review: ReviewInput) => void;
}

/** Deny: a reason picked from the backend's list or written, then the deny button. */
export function DenyRow({ action: a, review, dispatch, onSubmit }: ReasonRowProps & { action: PendingAction }) {
  const gate = canDeny(review.pickedReason, review.reasonText);
  return (
    <div className="decide-row deny-row">
      <select
        value={review.pickedReason}
        onChange={(e) => dispatch({ type: 'text', input: 'pickedReason', value: e.target.value })}
        data-testid="deny-reason"
        aria-label="Deny reason"
      >
        <option value="">Reason to deny…</option>
        {a.deny_reasons.map((x) => (
          <ClippedOption key={x} value={x} />
        ))}
      </select>
      <input
        type="text"
        className="note-input"
        placeholder="or write a reason"
        value={review.reasonText}
        data-testid="deny-reason-text"
        onChange={(e) => dispatch({ type: 'text', input: 'reasonText', value: e.target.value })}
      />
      <button
        type="button"
        className="btn danger"
        data-testid="deny"
        disabled={review.busy || !gate.ok}
        onClick={() => onSubmit(denyReview(review.pickedReason, review.reasonText))}
      >
        Deny
      </button>
      {!gate.ok ? <span className="muted small">a denial needs a reason</span> : null}
    </div>
  );
}

/** Escalate: the role to hand the decision to and why. */
export function EscalateRow({ review, dispatch, onSubmit }: ReasonRowProps) {
  const role = review.escalateRole;
  return (
    <div className="decide-row escalate-row">
      <select
        value={role}
        onChange={(e) => dispatch({ type: 'escalateRole', role: e.target.value as EscalationRole | '' })}
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
        value={review.escalateReason}
        data-testid="escalate-reason"
        onChange={(e) => dispatch({ type: 'text', input: 'escalateReason', value: e.target.value })}
      />
      <button
        type="button"
        className="btn"
        data-testid="escalate"
        disabled={review.busy || !canEscalate(role, review.escalateReason)}
        onClick={() => role && onSubmit(escalateReview(role, review.escalateReason))}
      >
        Escalate
      </button>
    </div>
  );
}
