import { useState } from 'react';
import { recordSecondReview, secondReviewQueue } from '../../api';
import type { SecondReviewItem } from '../../api/types';
import { useReportError } from '../../app/errors';
import { useLoad } from '../../app/useLoad';
import { Clipped, LongText } from '../../components/Clipped';
import { ReviewFields } from '../../components/ReviewFields';

/** One sampled decision, blind: the action as proposed and the question. */
export function SecondReviewCard({ item, busy, onAnswer }: { item: SecondReviewItem; busy: boolean; onAnswer: (wouldApprove: boolean, note: string) => void }) {
  const [note, setNote] = useState('');
  const a = item.action;
  return (
    <article className="card" data-testid="second-review-item" data-decision-id={item.decision_id}>
      <header className="card-head">
        <h3>
          <Clipped text={a.title} />
        </h3>
        <span className="tag">
          <Clipped text={a.kind} />
        </span>
      </header>
      <LongText text={a.rationale} />
      <ReviewFields fields={a.fields} />
      <p>
        <strong>Would you have approved?</strong>
      </p>
      <label className="field-inline">
        Note (optional)
        <input type="text" value={note} data-testid="second-review-note" onChange={(e) => setNote(e.target.value)} />
      </label>
      <div className="filters">
        <button type="button" className="btn primary" data-testid="second-review-yes" disabled={busy} onClick={() => onAnswer(true, note)}>
          Yes, approve
        </button>
        <button type="button" className="btn" data-testid="second-review-no" disabled={busy} onClick={() => onAnswer(false, note)}>
          No
        </button>
      </div>
    </article>
  );
}

/**
 * Blind second review: a sample of decided actions shown without the first decision or its
 * reviewer. The answer is recorded and audited; nothing is sent to a backend.
 */
export function SecondReviewPanel() {
  const report = useReportError();
  const queue = useLoad(secondReviewQueue, 'second-review', 'second_review_queue');
  const [busy, setBusy] = useState(false);
  const [last, setLast] = useState<boolean | null>(null);
  const item = queue.data?.[0];
  const answer = (id: number, wouldApprove: boolean, note: string) => {
    setBusy(true);
    recordSecondReview(id, wouldApprove, note)
      .then((disagrees) => {
        setLast(disagrees);
        queue.reload();
      })
      .catch((e) => report(e, 'record_second_review'))
      .finally(() => setBusy(false));
  };
  return (
    <section className="detail-section" data-testid="second-review">
      <h3>Blind second review {queue.data ? <span className="muted small">({queue.data.length} waiting)</span> : null}</h3>
      <p className="muted small">A sample of decided actions, shown without the decision that was made. Your answer is recorded in the audit trail and changes nothing.</p>
      {last !== null ? (
        <p className="small" data-testid="second-review-result" role="status">
          Recorded: {last ? 'your opinion differs from the decision made.' : 'your opinion agrees with the decision made.'}
        </p>
      ) : null}
      {item ? (
        <SecondReviewCard key={item.decision_id} item={item} busy={busy} onAnswer={(w, n) => answer(item.decision_id, w, n)} />
      ) : queue.data ? (
        <p className="muted" data-testid="second-review-empty">
          Nothing waiting for a second opinion.
        </p>
      ) : null}
    </section>
  );
}
