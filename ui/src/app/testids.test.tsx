// The end-to-end suite finds elements by these test ids; render them server-side and check.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { BackendView, PendingAction, RunSummary } from '../api';
import { ActionCard } from '../components/ActionCard';
import { BackendRow } from '../features/backends/BackendRow';
import { RunTable } from '../features/runs/RunTable';
import { App } from './App';
import { ErrorProvider } from './errors';
import { StoreProvider } from './store';

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

describe('test ids', () => {
  it('app shell has the nav buttons, sync-now and the search box', () => {
    const html = renderToStaticMarkup(<App />);
    for (const id of ['nav-runs', 'nav-approvals', 'nav-budgets', 'nav-backends', 'nav-audit', 'sync-now', 'search-input']) {
      expect(html).toContain(`data-testid="${id}"`);
    }
  });

  it('run rows carry run id and the workflow/cost/outcome columns', () => {
    const run: RunSummary = {
      backend_id: 'b1',
      run_id: 'run_1',
      tenant: 't',
      workflow: 'support_triage',
      workflow_version: 'v2',
      user_id: 'u',
      model: 'm',
      outcome: 'budget_stopped',
      decision: 'd',
      cost_micros: 4200,
      latency_ms: 10,
      tool_calls: 1,
      policy_failures: 0,
      citation_warnings: 0,
      started_at: '2026-11-25T15:00:00Z',
    };
    const html = renderToStaticMarkup(<RunTable runs={[run]} backendName={(x) => x} onOpen={() => {}} focusRunId={null} />);
    expect(html).toContain('data-testid="run-row"');
    expect(html).toContain('data-run-id="run_1"');
    expect(html).toMatch(/<td data-col="workflow"><span class="clipped" title="support_triage">support_triage<\/span><\/td>/);
    expect(html).toMatch(/data-col="cost"[^>]*><span[^>]*>\$0\.0042<\/span>/);
    expect(html).toMatch(/data-col="outcome"><span[^>]*>budget_stopped<\/span>/);
  });

  it('backend rows carry id, health badge and per-backend actions', () => {
    const b: BackendView = {
      backend_id: 'b1',
      name: 'Prod',
      url: 'https://x.example',
      kind: 'http',
      added_at: '2026-11-25T15:00:00Z',
      embedded: false,
      health: { state: 'never_synced', last_success_at: null, last_attempt_at: null, last_error: null, consecutive_failures: 0 },
      whoami: null,
      counts: { runs: 0, actions_pending: 0, quarantined: 0 },
      config: {},
      allow_http: false,
    };
    const html = wrap(<BackendRow b={b} onRemoved={() => {}} />);
    expect(html).toContain('data-testid="backend-row"');
    expect(html).toContain('data-backend-id="b1"');
    expect(html).toMatch(/data-testid="health-badge"[^>]*>never synced</);
  });

  it('action cards use the action-row id', () => {
    const a: PendingAction = {
      action_id: 'a1',
      revision: 1,
      run_id: 'r1',
      tenant: 't',
      kind: 'issue_refund',
      title: 'Issue refund',
      target: { system: 'billing', record_id: 'ord_1' },
      risk: 'high',
      fields: [{ name: 'amount', label: 'Refund amount', kind: 'money', value: '120.00', confirm: 'reenter', editable: true, required: true }],
      proposed: null,
      rationale: '',
      policy_checks: [],
      deny_reasons: [],
      rollback_supported: true,
      status: 'pending',
      requested_at: '2026-11-25T15:00:00Z',
      expires_at: '2026-11-25T16:00:00Z',
      updated_at: '2026-11-25T15:00:00Z',
    };
    const html = wrap(<ActionCard action={a} testId="action-row" />);
    expect(html).toContain('data-testid="action-row"');
    expect(html).toContain('Refund amount');
    expect(html).toContain('120.00');
  });
});
