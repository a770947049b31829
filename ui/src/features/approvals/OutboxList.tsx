import { listOutbox, type ActionItem } from '../../api';
import { useLoad } from '../../app/useLoad';
import { TimeText } from '../../components/TimeText';
import { describeDelivery } from '../../lib/queue';
import { Clipped, LongText } from '../../components/Clipped';

/** Decisions and rollbacks recorded here but not yet accepted by their backend. */
export function OutboxList({ items, onOpen }: { items: ActionItem[]; onOpen: (backendId: string, actionId: string) => void }) {
  const { data } = useLoad(() => listOutbox(null, null), 'outbox:all', 'list_outbox');
  const waiting = (data ?? []).filter((e) => e.state === 'queued');
  const title = (backendId: string, actionId: string) =>
    items.find((i) => i.backend_id === backendId && i.action.action_id === actionId)?.action.title ?? actionId;
  return (
    <section className="detail-section outbox" data-testid="outbox-waiting" data-count={waiting.length}>
      <h2>Waiting to send ({waiting.length})</h2>
      {waiting.length === 0 ? (
        <p className="muted small">Nothing waiting: every decision made here has reached its backend.</p>
      ) : (
        <ul className="plain-list outbox-list">
          {waiting.map((e) => {
            const d = describeDelivery(e);
            return (
              <li key={e.id} data-testid="outbox-entry" data-action-id={e.action_id} data-state={e.state}>
                <button type="button" className="link-button" onClick={() => onOpen(e.backend_id, e.action_id)}>
                  <Clipped text={title(e.backend_id, e.action_id)} max={120} />
                </button>{' '}
                <span className="muted">
                  ({e.op}, queued <TimeText value={e.queued_at} compact />)
                </span>{' '}
                <span className="badge warn">{d.label}</span>
                {d.detail ? (
                  <span className="small">
                    {' '}
                    <LongText text={d.detail} />
                  </span>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
