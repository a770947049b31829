import { useMemo, useState } from 'react';
import { ACTION_STATUSES, listActions, listBackends, type ActionItem, type ActionList } from '../../api';
import { decisionRight } from '../../lib/queue';
import { useLoad } from '../../app/useLoad';
import { useNow } from '../../app/useNow';
import { ViewHeader } from '../../components/ViewHeader';
import { sortQueue, statusAt } from '../../lib/queue';
import './approvals.css';
import { OutboxList } from './OutboxList';
import { QueueTable } from './QueueTable';
import { ReviewPanel } from './ReviewPanel';

/** The other actions of `item`'s batch (same backend, same group). */
function batchSiblings(all: readonly ActionItem[], item: ActionItem): ActionItem[] {
  const g = item.action.batch?.group_id;
  if (!g) return [];
  return all.filter(
    (i) => i.backend_id === item.backend_id && i.action.batch?.group_id === g && i.action.action_id !== item.action.action_id,
  );
}

/** Says when the list stops short of every action (the command lists the most urgent up to a
 * cap); nothing when all are listed. */
export function CappedNote({ shown, total, filtered }: { shown: number; total: number; filtered: boolean }) {
  if (total <= shown) return null;
  return (
    <p className="warn-text" role="status" data-testid="queue-capped" data-shown={shown} data-total={total}>
      Showing the {shown.toLocaleString('en-US')} most urgent of {total.toLocaleString('en-US')} actions
      {filtered ? '' : ' (pending first)'}; {(total - shown).toLocaleString('en-US')} more are not listed. Filter by status
      to see others.
    </p>
  );
}

interface OpenRef {
  backendId: string;
  actionId: string;
  /** Last known copy, kept when the item leaves the filtered list (e.g. once decided). */
  snapshot: ActionItem | null;
}

/**
 * How many actions are pending: counted live from the list (so expiry shows at once) while it
 * holds every action; past its cap, the store's count at load.
 */
export function pendingCount(list: Pick<ActionList, 'items' | 'total' | 'pending'> | null, items: ActionItem[], now: Date): number {
  if (list && list.items.length < list.total) return Number(list.pending);
  return items.filter((it) => statusAt(it, now) === 'pending').length;
}

export function ApprovalsView({ onOpenRun }: { onOpenRun: (backendId: string, runId: string) => void }) {
  const [status, setStatus] = useState<string>('');
  const [open, setOpen] = useState<OpenRef | null>(null);
  const s = status === '' ? null : status;
  // Every action (unfiltered): the queue when no filter is set, and the open item's current state
  // (it stays current after a decision even when it leaves the filtered list).
  const all = useLoad(() => listActions(null), 'actions:all', 'list_actions');
  const backends = useLoad(() => listBackends(), 'backends', 'list_backends');
  const filtered = useLoad(() => (s ? listActions(s) : Promise.resolve(null)), `actions:${status}`, 'list_actions');
  const { data: list, loading, loadedAt } = s ? filtered : all;
  const data = list?.items ?? null;
  const allItems = all.data?.items ?? [];
  const now = useNow(1000);
  const items = useMemo(() => sortQueue(data ?? [], now), [data, now]);
  const pending = pendingCount(list ?? null, items, now);

  const openItem = open
    ? (allItems.find((i) => i.backend_id === open.backendId && i.action.action_id === open.actionId) ??
      (data ?? []).find((i) => i.backend_id === open.backendId && i.action.action_id === open.actionId) ??
      open.snapshot)
    : null;

  if (open && openItem) {
    return (
      <ReviewPanel
        key={`${open.backendId}/${open.actionId}`}
        item={openItem}
        right={decisionRight(backends.data ?? null, openItem)}
        siblings={batchSiblings(allItems, openItem)}
        onBack={() => setOpen(null)}
        onOpenRun={onOpenRun}
        onOpenAction={(backendId, actionId) => setOpen({ backendId, actionId, snapshot: null })}
      />
    );
  }

  return (
    <section className="view">
      <ViewHeader
        title="Approvals"
        loadedAt={loadedAt}
        actions={
          <label className="field-inline">
            Status{' '}
            <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="action-status-filter">
              <option value="">all</option>
              {ACTION_STATUSES.map((x) => (
                <option key={x} value={x}>
                  {x.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </label>
        }
      />
      <p className="muted note" data-testid="queue-summary">
        {list ? `${pending} pending${s ? '' : ` · ${list.total} in total`} — most urgent first.` : ''} Open an item to review each
        value before deciding.
      </p>
      {list ? <CappedNote shown={list.items.length} total={list.total} filtered={s !== null} /> : null}
      <OutboxList
        items={allItems}
        onOpen={(backendId, actionId) => setOpen({ backendId, actionId, snapshot: null })}
      />
      {loading && !data ? <p className="muted">Loading…</p> : null}
      {data && items.length === 0 ? <p className="empty">No actions{s ? ` with status ${s.replace(/_/g, ' ')}` : ''}.</p> : null}
      {items.length > 0 ? (
        <QueueTable
          items={items}
          now={now}
          onOpen={(it) => setOpen({ backendId: it.backend_id, actionId: it.action.action_id, snapshot: it })}
        />
      ) : null}
    </section>
  );
}
