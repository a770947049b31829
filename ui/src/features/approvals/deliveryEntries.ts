import type { OutboxEntry } from '../../api';

/** The outbox entries a review panel shows: its latest decision and its rollback. */
export interface DeliveryEntries {
  /** The newest decision entry, in its freshest known state (outbox list over the panel's copy). */
  decision: OutboxEntry | null;
  rollback: OutboxEntry | null;
}

/** Picks the decision and rollback entries from the loaded outbox and the entry this panel last queued. */
export function deliveryEntries(entries: readonly OutboxEntry[], lastEntry: OutboxEntry | null): DeliveryEntries {
  const newest =
    [lastEntry, ...entries].filter((e): e is OutboxEntry => !!e && e.op === 'decision').sort((x, y) => y.id - x.id)[0] ?? null;
  const decision = newest ? (entries.find((e) => e.id === newest.id) ?? newest) : null;
  const rollback = entries.find((e) => e.op === 'rollback') ?? (lastEntry?.op === 'rollback' ? lastEntry : null);
  return { decision, rollback };
}
