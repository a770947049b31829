import { useMemo } from 'react';
import { listFacets } from '../../api/client';
import { listBudgetsWithSpend } from '../../api/governance';
import type { BudgetWithSpend } from '../../api/types';
import { useStore } from '../../app/store';
import { useLoad } from '../../app/useLoad';
import { ViewHeader } from '../../components/ViewHeader';
import { BackendBudgets } from './BackendBudgets';
import { CostPerOutcome } from './CostPerOutcome';
import './budgets.css';

/**
 * Budgets: per backend, the caps in force with spend against each in the current period, the
 * burn-rate forecast and runs stopped; editing for finance/admin; cost per outcome.
 */
export function BudgetsView() {
  const { backends, bump } = useStore();
  const { data, loading, loadedAt, reload } = useLoad(listBudgetsWithSpend, 'budgets', 'list_budgets');
  const facets = useLoad(listFacets, 'budget-facets', 'list_facets');
  const groups = useMemo(() => {
    const byBackend = new Map<string, { name: string; items: BudgetWithSpend[] }>();
    for (const b of backends ?? []) byBackend.set(b.backend_id, { name: b.name, items: [] });
    for (const it of data ?? []) {
      const g = byBackend.get(it.backend_id);
      if (g) g.items.push(it);
      else byBackend.set(it.backend_id, { name: it.backend_name || it.backend_id, items: [it] });
    }
    return [...byBackend.entries()];
  }, [backends, data]);

  return (
    <section className="view budgets">
      <ViewHeader title="Budgets" loadedAt={loadedAt} />
      <p className="muted note">
        Caps the backends enforce: hard caps stop runs, soft caps alert at their threshold. Spend is measured from the synced runs in each cap's
        current period.
      </p>
      {loading && !data ? <p className="muted">Loading…</p> : null}
      {data && groups.length === 0 ? <p className="empty">No backends connected, so no caps.</p> : null}
      {groups.map(([id, g]) => (
        <BackendBudgets
          key={id}
          backendId={id}
          backendName={g.name}
          backend={backends?.find((b) => b.backend_id === id)}
          items={g.items}
          workflows={facets.data?.workflows ?? []}
          onSaved={() => {
            reload();
            bump();
          }}
        />
      ))}
      <CostPerOutcome backends={backends ?? []} />
    </section>
  );
}
