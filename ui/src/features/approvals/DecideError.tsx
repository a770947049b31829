import type { ApiError } from '../../api';
import { SafeText } from '../../components/SafeText';

/** A failed decision or rollback, said plainly for the reviewer. */
export function errorLine(e: ApiError): string {
  switch (e.code) {
    case 'expired':
      return `Expired: the deadline passed before the decision was recorded. ${e.message}`;
    case 'conflict':
      return `Conflict: this action was already decided elsewhere. ${e.message}`;
    case 'already_queued':
      return `A decision for this action is already waiting to send. ${e.message}`;
    case 'review_incomplete':
      return `The review is incomplete: ${e.message}`;
    case 'review_not_opened':
      return `The opening of this review was not recorded; go back to the queue and open it again. ${e.message}`;
    case 'forbidden':
      return `Not allowed: ${e.message}`;
    default:
      return `${e.code}: ${e.message}`;
  }
}

/** The alert line under the decision or rollback controls. */
export function DecideError({ error }: { error: ApiError }) {
  return (
    <p className="warn-text" role="alert" data-testid="decide-error" data-code={error.code}>
      <SafeText text={errorLine(error)} />
    </p>
  );
}
