import type { Dispatch } from 'react';
import type { OutboxEntry, PendingAction } from '../../api';
import { canRollback } from '../../lib/review';
import { DecideError } from './DecideError';
import { DeliveryState } from './DeliveryState';
import type { ReviewAction, ReviewState } from './useReviewState';

/** Roll back an executed write (with a reason), or the delivery state of the rollback already queued.
 * Renders nothing unless the write is executed and rollback-capable, or a rollback exists. */
export function RollbackSection({
  action: a,
  status,
  entry,
  showControls,
  review,
  dispatch,
  onRollback,
}: {
  action: PendingAction;
  status: string;
  /** The rollback's outbox entry, if one was queued. */
  entry: OutboxEntry | null;
  /** The decision controls are shown (they show the error then). */
  showControls: boolean;
  review: ReviewState;
  dispatch: Dispatch<ReviewAction>;
  onRollback: () => void;
}) {
  if (!((status === 'executed' && a.rollback_supported) || entry)) return null;
  const gate = canRollback(status, a.rollback_supported, review.rollbackReason);
  return (
    <section className="detail-section" data-testid="rollback-section">
      <h2>Roll back</h2>
      {entry && (entry.state !== 'rejected' || status !== 'executed') ? (
        <DeliveryState entry={entry} />
      ) : (
        <div className="decide-row">
          <input
            type="text"
            className="note-input"
            placeholder="why undo this write?"
            value={review.rollbackReason}
            data-testid="rollback-reason"
            onChange={(e) => dispatch({ type: 'text', input: 'rollbackReason', value: e.target.value })}
          />
          <button type="button" className="btn danger" data-testid="rollback" disabled={review.busy || !gate.ok} onClick={onRollback}>
            Roll back
          </button>
          {entry ? <DeliveryState entry={entry} /> : null}
        </div>
      )}
      {!showControls && review.error ? <DecideError error={review.error} /> : null}
    </section>
  );
}
