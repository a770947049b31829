import { useReducer, type Dispatch } from 'react';
import { toApiError, type ApiError, type EscalationRole, type OutboxEntry } from '../../api';
import { dropAcksFor, type Confirmations, type Edits } from '../../lib/review';

/** Everything the reviewer has entered or set off in one open review panel. */
export interface ReviewState {
  /** When the reviewer opened the item (sent with the decision; time-to-decide is audited). */
  openedAt: string;
  confirmations: Confirmations;
  /** Acknowledged warning keys (`field:code`). */
  acks: Set<string>;
  /** Approve-with-corrections mode. */
  editing: boolean;
  edits: Edits;
  editNote: string;
  pickedReason: string;
  reasonText: string;
  rollbackReason: string;
  escalateRole: EscalationRole | '';
  escalateReason: string;
  /** A decision or rollback is being sent. */
  busy: boolean;
  error: ApiError | null;
  /** The outbox entry of the last decision or rollback sent from this panel. */
  lastEntry: OutboxEntry | null;
}

/** The panel's free-text inputs (and the picked deny reason), set by `{ type: 'text' }`. */
export type ReviewText = 'editNote' | 'pickedReason' | 'reasonText' | 'rollbackReason' | 'escalateReason';

/** What can happen to the review state. */
export type ReviewAction =
  | { type: 'confirm'; field: string; value: boolean | string }
  | { type: 'ack'; key: string; on: boolean }
  /** A changed value has new warnings: the field's acknowledgements are dropped. */
  | { type: 'edit'; field: string; value: string }
  /** Leaving correction mode discards the edits and the acknowledgements of edited fields. */
  | { type: 'toggleEditing' }
  | { type: 'text'; input: ReviewText; value: string }
  | { type: 'escalateRole'; role: EscalationRole | '' }
  | { type: 'sending' }
  | { type: 'sent'; entry: OutboxEntry }
  | { type: 'failed'; error: ApiError };

/** A fresh review opened at `openedAt` (ISO time). */
export function initialReviewState(openedAt: string): ReviewState {
  return {
    openedAt,
    confirmations: {},
    acks: new Set(),
    editing: false,
    edits: {},
    editNote: '',
    pickedReason: '',
    reasonText: '',
    rollbackReason: '',
    escalateRole: '',
    escalateReason: '',
    busy: false,
    error: null,
    lastEntry: null,
  };
}

/** The review state's transitions (pure; never mutates `s`). */
export function reviewReducer(s: ReviewState, a: ReviewAction): ReviewState {
  switch (a.type) {
    case 'confirm':
      return { ...s, confirmations: { ...s.confirmations, [a.field]: a.value } };
    case 'ack': {
      const acks = new Set(s.acks);
      if (a.on) acks.add(a.key);
      else acks.delete(a.key);
      return { ...s, acks };
    }
    case 'edit':
      return { ...s, edits: { ...s.edits, [a.field]: a.value }, acks: dropAcksFor(s.acks, a.field) };
    case 'toggleEditing':
      if (!s.editing) return { ...s, editing: true };
      return { ...s, editing: false, edits: {}, acks: Object.keys(s.edits).reduce((acks, f) => dropAcksFor(acks, f), new Set(s.acks)) };
    case 'text':
      return { ...s, [a.input]: a.value };
    case 'escalateRole':
      return { ...s, escalateRole: a.role };
    case 'sending':
      return { ...s, busy: true, error: null };
    case 'sent':
      return { ...s, busy: false, lastEntry: a.entry };
    case 'failed':
      return { ...s, busy: false, error: a.error };
  }
}

/** The review state of one panel; `openedAt` is fixed when the panel mounts. */
export function useReviewState(): [ReviewState, Dispatch<ReviewAction>] {
  return useReducer(reviewReducer, null, () => initialReviewState(new Date().toISOString()));
}

/** Sends a decision or rollback, recording progress, the queued entry or the error; `onSent` runs after success. */
export async function sendTracked(dispatch: Dispatch<ReviewAction>, call: () => Promise<OutboxEntry>, onSent: () => void): Promise<void> {
  dispatch({ type: 'sending' });
  try {
    dispatch({ type: 'sent', entry: await call() });
    onSent();
  } catch (e) {
    dispatch({ type: 'failed', error: toApiError(e) });
  }
}
