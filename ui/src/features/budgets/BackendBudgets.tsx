import { useState } from 'react';
import type { BackendView, Budget, Whoami } from '../../api/types';
import type { BudgetWithSpend } from '../../api/governanceTypes';
import { SafeText } from '../../components/SafeText';
import { budgetToDraft, newDraft, userTimeZone, type BudgetDraft } from '../../lib/budgetForm';
import { BudgetEditor } from './BudgetEditor';
import { CapsTable } from './CapsTable';

/** Whether this identity may edit caps (finance, or admin which holds every role). */
export function mayEditBudgets(w: Whoami | null | undefined): boolean {
  return !!w && (w.roles.includes('finance') || w.roles.includes('admin'));
}

/** One backend's caps: the table, and for finance/admin the editor. */
export function BackendBudgets({
  backendId,
  backendName,
  backend,
  items,
  workflows,
  onSaved,
}: {
  backendId: string;
  backendName: string;
  backend: BackendView | undefined;
  items: BudgetWithSpend[];
  workflows: string[];
  onSaved: () => void;
}) {
  const whoami = backend?.whoami ?? null;
  const canEdit = items.length > 0 ? items.some((i) => i.can_edit) : mayEditBudgets(whoami);
  const [drafts, setDrafts] = useState<BudgetDraft[] | null>(null);
  const [saved, setSaved] = useState<{ count: number; at: Date } | null>(null);
  const before: Budget[] = items.map((i) => i.budget);

  const taken = (ds: BudgetDraft[] | null) => [...before.map((b) => b.budget_id), ...(ds ?? []).map((d) => d.budget_id)];
  const open = () => {
    setSaved(null);
    setDrafts((ds) => ds ?? before.map(budgetToDraft));
  };
  const add = () => {
    setSaved(null);
    setDrafts((ds) => {
      const base = ds ?? before.map(budgetToDraft);
      return [...base, newDraft(taken(base), userTimeZone())];
    });
  };

  return (
    <section className="detail-section backend-budgets" data-testid="backend-budgets" data-backend-id={backendId} data-can-edit={canEdit ? 'true' : 'false'}>
      <header className="card-head">
        <h2>
          <SafeText text={backendName} />
        </h2>
        {whoami ? (
          <span className="muted small" data-testid="budget-identity">
            you are <SafeText text={whoami.display_name} /> ({whoami.roles.join(', ') || 'no roles'})
          </span>
        ) : (
          <span className="muted small">identity not known yet (sync first)</span>
        )}
        <span className="spacer" />
        {canEdit && !drafts ? (
          <button type="button" className="btn" data-testid="budget-edit-open" onClick={open}>
            Edit caps
          </button>
        ) : null}
        {canEdit ? (
          <button type="button" className="btn" data-testid="budget-add" onClick={add}>
            + Add cap
          </button>
        ) : null}
      </header>
      {!canEdit ? (
        <p className="muted note readonly-note" data-testid="budget-readonly">
          Your role on this backend can't edit budgets
          {whoami ? (
            <>
              {' '}
              (you hold: <SafeText text={whoami.roles.join(', ') || 'no roles'} />; finance or admin is needed)
            </>
          ) : (
            ' (identity not known yet; sync first)'
          )}
          .
        </p>
      ) : null}
      {saved ? (
        <p className="ok-text note" data-testid="budget-saved">
          Saved: {saved.count} cap{saved.count === 1 ? '' : 's'} now in force, as read back from the backend, and recorded in the audit trail.
        </p>
      ) : null}
      {items.length === 0 ? <p className="empty">No caps on this backend.</p> : <CapsTable items={items} />}
      {canEdit && drafts ? (
        <BudgetEditor
          backendId={backendId}
          backendName={backendName}
          before={before}
          drafts={drafts}
          setDrafts={(f) => setDrafts((ds) => f(ds ?? []))}
          onAdd={add}
          onCancel={() => setDrafts(null)}
          onSaved={(s) => {
            setDrafts(null);
            setSaved({ count: s.length, at: new Date() });
            onSaved();
          }}
          workflows={workflows}
        />
      ) : null}
    </section>
  );
}
