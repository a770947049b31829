import { useMemo } from 'react';
import { decideAction, getRun, listOutbox, rollbackAction, type ActionItem, type OutboxEntry } from '../../api';
import { useLoad } from '../../app/useLoad';
import { useNow } from '../../app/useNow';
import { notDecidableReason, statusAt } from '../../lib/queue';
import { valuesWithEdits } from '../../lib/review';
import { DecisionSection } from './DecisionSection';
import { deliveryEntries } from './deliveryEntries';
import { DeliveryState } from './DeliveryState';
import { ProposedWrite } from './ProposedWrite';
import { ReviewHeader } from './ReviewHeader';
import { RollbackSection } from './RollbackSection';
import { RunContext } from './RunContext';
import { sendTracked, useOpenReview, useReviewState } from './useReviewState';
import { useWarnings } from './useWarnings';
import { LongText } from '../../components/Clipped';
import { BatchSection } from './BatchSection';

/** The policy check a LangGraph custom interrupt carries while no resume template answers it. */
const NO_TEMPLATE_CHECK = 'resume_template';

/** One action under review: the write with its confirmations, the decision and rollback controls,
 * their delivery state, and the run that produced it. */
export function ReviewPanel({
  item,
  right,
  siblings = [],
  onBack,
  onOpenRun,
  onOpenAction,
}: {
  item: ActionItem;
  /** Whether this identity may decide it (null while loading). */
  right?: { ok: boolean; why: string | null } | null;
  /** The other actions of its batch, when it is one request of a batched interrupt. */
  siblings?: readonly ActionItem[];
  onBack: () => void;
  onOpenRun: (backendId: string, runId: string) => void;
  /** Opens another action of the same backend (a sibling of a batch). */
  onOpenAction?: (backendId: string, actionId: string) => void;
}) {
  const a = item.action;
  const backendId = item.backend_id;
  const [review, dispatch] = useReviewState();
  const now = useNow(1000);
  const status = statusAt(item, now);

  const run = useLoad(() => getRun(backendId, a.run_id), `${backendId}/${a.run_id}`, 'get_run');
  const outbox = useLoad(() => listOutbox(backendId, a.action_id), `outbox:${backendId}/${a.action_id}`, 'list_outbox');

  const proposed = useMemo(() => valuesWithEdits(a.fields, {}), [a.fields]);
  const corrected = useMemo(() => valuesWithEdits(a.fields, review.edits), [a.fields, review.edits]);
  const decidable = status === 'pending';
  useOpenReview(backendId, a.action_id, decidable, dispatch);
  const proposedW = useWarnings(backendId, a.action_id, decidable ? proposed : null);
  const editW = useWarnings(backendId, a.action_id, decidable && review.editing ? corrected : null);

  const delivery = deliveryEntries(outbox.data ?? [], review.lastEntry);
  // A decision that is waiting, delivered or answered with a conflict settles the item here;
  // a rejected one leaves the reviewer free to decide again.
  const decidedHere = !!delivery.decision && delivery.decision.state !== 'rejected';
  const showControls = decidable && !decidedHere && right?.ok !== false;
  const send = (call: () => Promise<OutboxEntry>) => sendTracked(dispatch, call, () => outbox.reload());
  const why = notDecidableReason(status, a.decided_by);
  const noTemplate = decidable ? a.policy_checks.find((c) => c.name === NO_TEMPLATE_CHECK && !c.passed) : undefined;

  return (
    <section className="view review-panel" data-testid="review-panel" data-action-id={a.action_id} data-status={status}>
      <ReviewHeader item={item} status={status} now={now} openedAt={review.openedAt} onBack={onBack} />
      <div className="review-grid">
        <div className="review-main">
          <BatchSection action={a} siblings={siblings} now={now} onOpen={(id) => onOpenAction?.(backendId, id)} />
          <ProposedWrite action={a} review={review} dispatch={dispatch} shown={review.editing ? editW : proposedW} showControls={showControls} />
          {why ? (
            <p className={`not-decidable status-${status}`} data-testid="not-decidable">
              <LongText text={why} />
            </p>
          ) : null}
          {noTemplate ? (
            <p className="not-decidable" data-testid="no-template">
              <LongText text={noTemplate.detail ?? 'No resume template is configured for this interrupt: it can only be escalated.'} />
            </p>
          ) : null}
          {decidable && right && !right.ok ? (
            <p className="not-decidable" data-testid="not-allowed">
              <LongText text={right.why ?? ''} />
            </p>
          ) : null}
          {showControls ? (
            <DecisionSection
              action={a}
              review={review}
              dispatch={dispatch}
              proposedWarnings={proposedW.warnings}
              editWarnings={editW.warnings}
              onSubmit={(r) => send(() => decideAction(backendId, a.action_id, r))}
            />
          ) : null}
          {delivery.decision ? <DeliveryState entry={delivery.decision} /> : null}
          <RollbackSection
            action={a}
            status={status}
            entry={delivery.rollback}
            showControls={showControls}
            review={review}
            dispatch={dispatch}
            onRollback={() => send(() => rollbackAction(backendId, a.action_id, review.rollbackReason.trim()))}
          />
        </div>
        <RunContext backendId={backendId} action={a} run={run.data?.run ?? null} loading={run.loading} failed={run.failed} onOpenRun={onOpenRun} />
      </div>
    </section>
  );
}
