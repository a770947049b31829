import type { Dispatch } from 'react';
import type { PendingAction } from '../../api';
import { JsonBlock } from '../../components/JsonBlock';
import { isEmptyJson } from '../../lib/json';
import { FieldReview } from './FieldReview';
import type { ReviewAction, ReviewState } from './useReviewState';
import type { WarningState } from './useWarnings';

/** The write under review: each field with its confirmation, correction and warnings, and the raw payload. */
export function ProposedWrite({
  action: a,
  review,
  dispatch,
  shown,
  showControls,
}: {
  action: PendingAction;
  review: ReviewState;
  dispatch: Dispatch<ReviewAction>;
  /** The warnings for the values on screen (proposed or corrected). */
  shown: WarningState;
  /** The item can be decided here: confirmation and edit controls are shown. */
  showControls: boolean;
}) {
  return (
    <section className="detail-section">
      <h2>Proposed write</h2>
      <FieldReview
        fields={a.fields}
        confirmations={review.confirmations}
        onConfirm={(field, value) => dispatch({ type: 'confirm', field, value })}
        warnings={showControls ? shown.warnings : null}
        acks={review.acks}
        onAck={(key, on) => dispatch({ type: 'ack', key, on })}
        editing={showControls && review.editing}
        edits={review.edits}
        onEdit={(field, value) => dispatch({ type: 'edit', field, value })}
        readOnly={!showControls}
      />
      {showControls && shown.error ? (
        <p className="warn-text" data-testid="warnings-error">
          Could not check the values for traps ({shown.error.code}: {shown.error.message}); approval stays closed.
        </p>
      ) : null}
      {a.opaque_payload ? (
        <div data-testid="interrupt-payload">
          <h4>Interrupt payload</h4>
          <p className="muted small">
            What the graph passed to <code>interrupt()</code>, as it came. The fields above are its top-level values; what a
            decision resumes the graph with is set per graph and node in Backends → Interrupt templates.
          </p>
          <JsonBlock value={a.proposed} label="Interrupt payload" collapsible />
        </div>
      ) : !isEmptyJson(a.proposed) ? (
        <details>
          <summary>Raw proposed payload</summary>
          <JsonBlock value={a.proposed} />
        </details>
      ) : null}
    </section>
  );
}
