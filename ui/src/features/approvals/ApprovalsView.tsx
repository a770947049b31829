import { useState } from 'react';
import { ACTION_STATUSES, listActions } from '../../api';
import { useLoad } from '../../app/useLoad';
import { ViewHeader } from '../../components/ViewHeader';
import { ActionCard } from './ActionCard';

export function ApprovalsView({ onOpenRun }: { onOpenRun: (backendId: string, runId: string) => void }) {
  const [status, setStatus] = useState<string>('');
  const s = status === '' ? null : status;
  const { data, loading, loadedAt } = useLoad(() => listActions(s), `actions:${status}`, 'list_actions');
  const items = data ?? [];
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
      <p className="muted note">Read-only: decisions are made in a later version.</p>
      {loading && !data ? <p className="muted">Loading…</p> : null}
      {data && items.length === 0 ? <p className="empty">No actions{s ? ` with status ${s}` : ''}.</p> : null}
      <div className="cards">
        {items.map((it) => (
          <ActionCard
            key={`${it.backend_id}/${it.action.action_id}`}
            testId="action-row"
            action={it.action}
            effectiveStatus={it.effective_status}
            backendName={it.backend_name}
            onOpenRun={() => onOpenRun(it.backend_id, it.action.run_id)}
          />
        ))}
      </div>
    </section>
  );
}
