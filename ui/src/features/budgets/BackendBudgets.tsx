import { useState } from 'react';
import type { BackendView, Budget, Whoami } from '../../api/types';
import type { BudgetWithSpend } from '../../api/types';
import { SafeText } from '../../components/SafeText';
import { budgetToDraft, newDraft, userTimeZone, type BudgetDraft } from '../../lib/budgetForm';
import { BudgetEditor } from './BudgetEditor';
import { CapsTable } from './CapsTable';
import { Clipped } from '../../components/Clipped';

/** Whether this identity may edit caps (finance, or admin which holds every role). */
export function mayEditBudgets(w: Whoami | null | undefined): boolean {
  return !!w && (w.roles.includes('finance') || w.roles.includes('admin'));
}

/** Puts a saved cap back into the pending set at its original position. */
function restore(cur: BudgetDraft[], d: BudgetDraft, before: Budget[]): BudgetDraft[] {
  if (cur.some((x) => x.budget_id === d.budget_id)) return cur;
  const order = new Map(before.map((b, i) => [b.budget_id, i]));
  const at = order.get(d.budget_id) ?? cur.length;
  const i = cur.findIndex((x) => (order.get(x.budget_id) ?? Infinity) > at);
  return i < 0 ? [...cur, d] : [...cur.slice(0, i), d, ...cur.slice(i)];
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
  const [activeKey, setActiveKey] = useState<string | null>(null);
  const [saved, setSaved] = useState<{ count: number; at: Date } | null>(null);
  const before: Budget[] = items.map((i) => i.budget);

  // What the caps looked like when editing started, to notice changes made elsewhere meanwhile.
  const signature = JSON.stringify(before.map((b) => [b.budget_id, b.updated_at]));
  const [openedWith, setOpenedWith] = useState<string | null>(null);
  const base = (ds: BudgetDraft[] | null) => {
    if (ds) return ds;
    setOpenedWith(signature);
    return before.map(budgetToDraft);
  };
  const taken = (ds: BudgetDraft[]) => [...before.map((b) => b.budget_id), ...ds.map((d) => d.budget_id)];
  const add = () => {
    setSaved(null);
    const cur = base(drafts);
    const d = newDraft(taken(cur), userTimeZone());
    setDrafts([...cur, d]);
    setActiveKey(d.key);
  };
  const edit = (b: Budget) => {
    setSaved(null);
    const cur = base(drafts);
    const found = cur.find((d) => d.budget_id === b.budget_id);
    if (found) {
      setDrafts(cur);
      setActiveKey(found.key);
    } else {
      // Editing a cap staged for removal brings it back.
      const d = budgetToDraft(b);
      setDrafts(restore(cur, d, before));
      setActiveKey(d.key);
    }
  };
  const remove = (b: Budget) => {
    setSaved(null);
    const cur = base(drafts);
    const gone = cur.find((d) => d.budget_id === b.budget_id);
    if (gone && gone.key === activeKey) setActiveKey(null);
    setDrafts(cur.filter((d) => d.budget_id !== b.budget_id));
  };
  const undoRemove = (b: Budget) => setDrafts(restore(base(drafts), budgetToDraft(b), before));
  const staged = new Set((drafts ?? []).map((d) => d.budget_id));

  return (
    <section className="detail-section backend-budgets" data-testid="backend-budgets" data-backend-id={backendId} data-can-edit={canEdit ? 'true' : 'false'}>
      <header className="card-head">
        <h2>
          <Clipped text={backendName} expandable />
        </h2>
        {whoami ? (
          <span className="muted small" data-testid="budget-identity">
            you are <Clipped text={whoami.display_name} max={80} /> ({whoami.roles.join(', ') || 'no roles'})
          </span>
        ) : (
          <span className="muted small">identity not known yet (sync first)</span>
        )}
        <span className="spacer" />
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
      {items.length === 0 ? (
        <p className="empty">No caps on this backend.</p>
      ) : (
        <CapsTable
          items={items}
          actions={
            canEdit
              ? ({ budget: b }) =>
                  drafts && !staged.has(b.budget_id) ? (
                    <>
                      <span className="tag tag-warn">removed on save</span>
                      <button type="button" className="btn small" data-testid="budget-undo-remove" onClick={() => undoRemove(b)}>
                        Undo
                      </button>
                    </>
                  ) : (
                    <>
                      <button type="button" className="btn small" data-testid="budget-edit" onClick={() => edit(b)}>
                        Edit
                      </button>
                      <button type="button" className="btn small" data-testid="budget-remove" onClick={() => remove(b)}>
                        Remove
                      </button>
                    </>
                  )
              : undefined
          }
        />
      )}
      {canEdit && drafts ? (
        <BudgetEditor
          backendId={backendId}
          backendName={backendName}
          before={before}
          drafts={drafts}
          setDrafts={(f) => setDrafts((ds) => f(ds ?? []))}
          activeKey={activeKey}
          setActiveKey={setActiveKey}
          changedElsewhere={openedWith !== null && openedWith !== signature}
          onCancel={() => {
            setDrafts(null);
            setActiveKey(null);
          }}
          onSaved={(s) => {
            setDrafts(null);
            setActiveKey(null);
            setSaved({ count: s.length, at: new Date() });
            onSaved();
          }}
          workflows={workflows}
        />
      ) : null}
    </section>
  );
}
