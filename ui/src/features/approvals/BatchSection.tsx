import type { ActionItem, PendingAction } from '../../api';
import { StatusBadge } from '../../components/Badges';
import { Clipped } from '../../components/Clipped';
import { batchPosition, statusAt } from '../../lib/queue';

/**
 * An action that is one request of a batched interrupt (a LangChain agent's tool calls of one
 * model turn): its position, and every request of the batch with its status, each one click away.
 * The agent is resumed once, when all of them are decided; a decision made before that waits.
 */
export function BatchSection({
  action: a,
  siblings,
  now,
  onOpen,
}: {
  action: PendingAction;
  /** The batch's other actions the console holds (same backend). */
  siblings: readonly ActionItem[];
  now: Date;
  onOpen: (actionId: string) => void;
}) {
  const b = a.batch;
  if (!b) return null;
  return (
    <section className="detail-section batch-note" data-testid="batch-note" data-index={b.index} data-size={b.size}>
      <h2>One interrupt, {b.size} requests</h2>
      <p className="small" data-testid="batch-position">
        {batchPosition(b)}. Decide each; a decision made before the others waits, unsent.
      </p>
      <ul className="plain-list batch-members">
        {b.members.map((id, i) => {
          const sib = siblings.find((s) => s.action.action_id === id);
          const here = id === a.action_id;
          return (
            <li key={id} data-testid="batch-sibling" data-action-id={id} data-current={here ? 'true' : undefined}>
              <span className="muted">{i + 1}.</span>{' '}
              {here ? (
                <strong>
                  <Clipped text={a.title} max={80} /> (this one)
                </strong>
              ) : sib ? (
                <button type="button" className="link-button" data-testid="open-sibling" onClick={() => onOpen(id)}>
                  <Clipped text={sib.action.title} max={80} />
                </button>
              ) : (
                <span className="muted">
                  <Clipped text={id} max={80} /> (not synced yet)
                </span>
              )}{' '}
              {here ? <StatusBadge status={a.status} /> : sib ? <StatusBadge status={statusAt(sib, now)} /> : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
