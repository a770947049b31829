// Test ids the end-to-end suite relies on, rendered server-side.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { AuditInfo, BudgetWithSpend } from '../../api/types';
import type { Budget } from '../../api/types';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { budgetToDraft, newDraft } from '../../lib/budgetForm';
import { ChainStatus } from '../audit/ChainStatus';
import { BackendBudgets, mayEditBudgets } from './BackendBudgets';
import { BudgetEditor } from './BudgetEditor';

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

const cap: Budget = {
  budget_id: 'bud_backend_daily',
  scope: { kind: 'backend' },
  period: 'day',
  time_zone: 'UTC',
  limits: { max_cost_micros: 25_000_000 },
  enforcement: 'soft',
  alert_at_percent: 80,
  updated_at: '2026-08-27T00:00:00Z',
};

const item = (can_edit: boolean): BudgetWithSpend => ({
  backend_id: 'b1',
  backend_name: 'Prod',
  budget: cap,
  can_edit,
  spend: {
    period_start: '2026-11-25T00:00:00Z',
    period_end: '2026-11-26T00:00:00Z',
    cost_micros: 21_000_000,
    runs: 40,
    stopped_runs: 2,
    max_run_cost_micros: 90_000,
    forecast_micros: 30_000_001,
    used_percent: 84,
  },
});

describe('budgets view test ids', () => {
  it('read-only backends show the note and no edit controls', () => {
    const html = wrap(<BackendBudgets backendId="b1" backendName="Prod" backend={undefined} items={[item(false)]} workflows={[]} onSaved={() => {}} />);
    expect(html).toContain('data-testid="budget-readonly"');
    expect(html).toMatch(/can(&#x27;|')t edit budgets/);
    expect(html).toContain('data-testid="budget-row"');
    expect(html).toContain('data-budget-id="bud_backend_daily"');
    for (const id of ['budget-add', 'budget-save', 'budget-edit', 'budget-remove', 'budget-form']) expect(html).not.toContain(`data-testid="${id}"`);
  });

  it('editable backends offer add/edit; rows show exact spend, forecast and stopped runs', () => {
    const html = wrap(<BackendBudgets backendId="b1" backendName="Prod" backend={undefined} items={[item(true)]} workflows={[]} onSaved={() => {}} />);
    expect(html).not.toContain('data-testid="budget-readonly"');
    expect(html).toContain('data-testid="budget-add"');
    expect(html).toContain('data-testid="budget-edit"');
    expect(html).toContain('data-testid="budget-remove"');
    expect(html).toContain('$21.00');
    expect(html).toContain('$25.00');
    expect(html).toContain('84.0 %');
    expect(html).toContain('data-level="alert"');
    expect(html).toContain('$30.000001');
    expect(html).toContain('data-over="true"');
    expect(html).toContain('data-stopped="2"');
  });

  it('the editor has every field (once, for the cap in the form), the diff preview and save', () => {
    const drafts = [budgetToDraft(cap), { ...newDraft(['bud_backend_daily'], 'UTC', 1), maxCost: '0.01', enforcement: 'hard' as const }];
    const active = drafts[1]?.key ?? null;
    const html = wrap(
      <BudgetEditor
        backendId="b1"
        backendName="Prod"
        before={[cap]}
        drafts={drafts}
        setDrafts={() => {}}
        activeKey={active}
        setActiveKey={() => {}}
        onSaved={() => {}}
        onCancel={() => {}}
        workflows={['refund_request']}
      />,
    );
    for (const id of [
      'budget-scope-kind',
      'budget-scope-value',
      'budget-period',
      'budget-tz',
      'budget-max-cost',
      'budget-max-tool-calls',
      'budget-max-wall-ms',
      'budget-max-runs',
      'budget-enforcement',
      'budget-alert',
    ]) {
      expect(html.split(`data-testid="${id}"`)).toHaveLength(2);
    }
    for (const id of ['budget-form', 'budget-draft', 'budget-draft-edit', 'budget-draft-remove', 'budget-diff', 'budget-diff-entry', 'budget-save']) {
      expect(html).toContain(`data-testid="${id}"`);
    }
    expect(html).toMatch(/data-testid="budget-form" data-budget-id="bud_[^"]+" data-new="true"/);
    expect(html).toMatch(/data-testid="budget-draft" data-budget-id="bud_backend_daily" data-state="unchanged"/);
    expect(html).toMatch(/data-testid="budget-diff-entry" data-kind="added"/);
    expect(html).not.toContain('data-testid="budget-errors"');
  });

  it('invalid drafts disable save and explain why', () => {
    const html = wrap(
      <BudgetEditor
        backendId="b1"
        backendName="Prod"
        before={[cap]}
        drafts={[budgetToDraft(cap), { ...newDraft([], 'UTC', 1), maxCost: '1' }]}
        setDrafts={() => {}}
        activeKey={null}
        setActiveKey={() => {}}
        onSaved={() => {}}
        onCancel={() => {}}
        workflows={[]}
      />,
    );
    expect(html).toContain('data-testid="budget-errors"');
    expect(html).toMatch(/merge them into one cap/);
    expect(html).toMatch(/<button[^>]*data-testid="budget-save"[^>]*disabled=""/);
  });

  it('finance or admin may edit', () => {
    const w = (roles: string[]) => ({ subject: 's', display_name: 'S', roles: roles as never, tenants: [] });
    expect(mayEditBudgets(w(['reviewer']))).toBe(false);
    expect(mayEditBudgets(w(['finance']))).toBe(true);
    expect(mayEditBudgets(w(['admin']))).toBe(true);
    expect(mayEditBudgets(null)).toBe(false);
  });
});

describe('audit view test ids', () => {
  it('chain status shows the public key, head and verdict', () => {
    const info: AuditInfo = {
      head: { seq: 7, at: '2026-11-25T15:00:00.000Z', actor: 'sync', kind: 'export', subject: 'x', details: {}, prev_hash: 'a', hash: 'beef' },
      chain_ok: false,
      chain_error: 'event 5: hash mismatch',
      public_key: 'ab12',
      exports_dir: '/tmp/exports',
    };
    const html = wrap(<ChainStatus info={info} />);
    expect(html).toMatch(/data-testid="public-key"[^>]*>ab12</);
    expect(html).toContain('data-testid="chain-broken"');
    expect(html).toContain('event 5: hash mismatch');
    expect(html).toContain('data-seq="7"');
  });
});
