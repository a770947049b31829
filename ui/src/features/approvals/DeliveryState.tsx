import type { OutboxEntry } from '../../api';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { describeDelivery } from '../../lib/queue';

const DECISION_LABEL: Record<string, string> = {
  approve: 'Approval',
  approve_with_edits: 'Approval with corrections',
  deny: 'Denial',
};

function decisionOf(e: OutboxEntry): string {
  if (e.op === 'rollback') return 'Rollback';
  const b = e.body;
  const d = b && typeof b === 'object' && !Array.isArray(b) ? b['decision'] : null;
  return (typeof d === 'string' && DECISION_LABEL[d]) || 'Decision';
}

/** Where a queued decision or rollback stands: waiting to send, delivered, conflict, rejected. */
export function DeliveryState({ entry: e }: { entry: OutboxEntry }) {
  const d = describeDelivery(e);
  return (
    <div className={`delivery delivery-${d.tone}`} data-testid="delivery-state" data-state={e.state} data-op={e.op}>
      <strong>{decisionOf(e)}</strong> by <SafeText text={e.actor} />: <span className="delivery-label"><SafeText text={d.label} /></span>
      {d.detail ? (
        <div className="small">
          <SafeText text={d.detail} />
        </div>
      ) : null}
      <div className="muted small">
        queued <TimeText value={e.queued_at} compact />
        {e.answered_at ? (
          <>
            {' '}
            · answered <TimeText value={e.answered_at} compact />
          </>
        ) : null}
      </div>
    </div>
  );
}
