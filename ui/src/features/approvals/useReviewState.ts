import { useEffect, useReducer, type Dispatch } from 'react';
import { openReview, toApiError, type ApiError, type EscalationRole, type OutboxEntry } from '../../api';
import { dropAcksFor, type Confirmations, type Edits } from '../../lib/review';

/** Everything the reviewer has entered or set off in one open review panel. */
export interface ReviewState {
  /** When the console recorded that the reviewer opened the item (`open_review`; the
   * time-to-decide is audited from it on the Rust side); null until it has. */
  openedAt: string | null;
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
  /** The console recorded the opening at `at`. */
  | { type: 'opened'; at: string }
  | { type: 'text'; input: ReviewText; value: string }
  | { type: 'escalateRole'; role: EscalationRole | '' }
  | { type: 'sending' }
  | { type: 'sent'; entry: OutboxEntry }
  | { type: 'failed'; error: ApiError };

/** A fresh review, its opening recorded at `openedAt` (ISO time) or not yet (null). */
export function initialReviewState(openedAt: string | null = null): ReviewState {
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
    case 'opened':
      return { ...s, openedAt: a.at };
    case 'sending':
      return { ...s, busy: true, error: null };
    case 'sent':
      return { ...s, busy: false, lastEntry: a.entry };
    case 'failed':
      return { ...s, busy: false, error: a.error };
  }
}

/** The review state of one panel; `openedAt` is set once the console has recorded the opening. */
export function useReviewState(): [ReviewState, Dispatch<ReviewAction>] {
  return useReducer(reviewReducer, null, () => initialReviewState());
}

/** Asks the console to record that this reviewer opened the action (when `decidable`), once per
 * action shown; the recorded time (or the refusal) goes into the review state. */
export function useOpenReview(backendId: string, actionId: string, decidable: boolean, dispatch: Dispatch<ReviewAction>): void {
  useEffect(() => {
    if (!decidable) return;
    let live = true;
    openReview(backendId, actionId).then(
      (r) => live && dispatch({ type: 'opened', at: r.opened_at }),
      (e) => live && dispatch({ type: 'failed', error: toApiError(e) }),
    );
    return () => {
      live = false;
    };
  }, [backendId, actionId, decidable, dispatch]);
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
