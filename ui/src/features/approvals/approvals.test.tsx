// Server-side renders of the approval pieces: the test ids the e2e suite drives, and untrusted
// values rendered as text with hidden characters shown.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ActionItem, OutboxEntry, PendingAction } from '../../api';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { CappedNote, pendingCount } from './ApprovalsView';
import { DeliveryState } from './DeliveryState';
import { FieldReview } from './FieldReview';
import { QueueTable } from './QueueTable';
import { ReviewPanel } from './ReviewPanel';

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

const action: PendingAction = {
  action_id: 'act_1',
  revision: 1,
  run_id: 'run_1',
  tenant: 'acme',
  kind: 'issue_refund',
  title: 'Issue refund for ord_1',
  target: { system: 'billing', record_id: 'ord_1' },
  risk: 'high',
  fields: [
    { name: 'amount', label: 'Refund amount', kind: 'money', value: '120.00', confirm: 'reenter', editable: true, required: true },
    { name: 'region', label: 'Region', kind: 'region', value: 'E\u200BU', confirm: 'tick', editable: true, required: true },
    { name: 'value', label: 'New value', kind: 'text', value: 'new', current: 'old', confirm: 'tick', editable: true, required: true },
  ],
  proposed: null,
  rationale: 'because',
  confidence: 0.82,
  policy_checks: [{ name: 'amount_within_policy', passed: false, detail: 'too much' }],
  deny_reasons: ['Wrong currency'],
  rollback_supported: true,
  status: 'pending',
  requested_at: '2026-11-25T15:00:00Z',
  expires_at: '2099-11-25T16:00:00Z',
  updated_at: '2026-11-25T15:00:00Z',
};
const item: ActionItem = { backend_id: 'b1', backend_name: 'Prod', action, effective_status: 'pending' };

describe('approval queue', () => {
  it('rows carry action id, kind, status and the columns', () => {
    const expired: ActionItem = { ...item, action: { ...action, action_id: 'act_2', expires_at: '2026-01-01T00:00:00Z' } };
    const html = wrap(<QueueTable items={[item, expired]} now={new Date('2026-11-25T16:00:00Z')} onOpen={() => {}} />);
    expect(html).toContain('data-testid="action-row"');
    expect(html).toContain('data-action-id="act_1"');
    expect(html).toContain('data-kind="issue_refund"');
    expect(html).toContain('data-status="pending"');
    expect(html).toMatch(/data-action-id="act_2"[^>]*data-status="expired"/);
    expect(html).toContain('>expired</strong>');
    expect(html).toContain('82%');
    expect(html).toMatch(/data-col="failed_checks"[^>]*>1</);
    expect(html).toContain('⟦U+200B⟧');
    expect(html).not.toContain('\u200B');
  });
});

describe('field review', () => {
  const base = {
    fields: action.fields,
    confirmations: {},
    onConfirm: () => {},
    warnings: [{ field: 'region', code: 'hidden_characters', message: 'contains U+200B' }],
    acks: new Set<string>(),
    onAck: () => {},
    editing: false,
    edits: {},
    onEdit: () => {},
    readOnly: false,
  };

  it('has a confirmation control per field and an ack per warning', () => {
    const html = renderToStaticMarkup(<FieldReview {...base} />);
    expect(html.match(/data-testid="review-field"/g)?.length).toBe(3);
    expect(html).toContain('data-testid="reenter-amount"');
    expect(html).toContain('data-testid="confirm-region"');
    expect(html).toContain('data-testid="field-warning"');
    expect(html).toContain('data-testid="ack-region-hidden_characters"');
    expect(html).toContain('⟦U+200B⟧');
    expect(html).toContain('data-testid="field-change"');
    expect(html).not.toContain('data-testid="edit-amount"');
  });

  it('in edit mode editable fields get inputs and corrections show proposed → corrected', () => {
    const html = renderToStaticMarkup(<FieldReview {...base} editing edits={{ amount: '100.00' }} />);
    expect(html).toContain('data-testid="edit-amount"');
    expect(html).toContain('data-testid="field-correction"');
    expect(html).toContain('100.00');
  });

  it('a kind guessed as text says so next to the hint; an inferred kind says so quietly; others say nothing', () => {
    const [amount, region, third] = action.fields;
    if (!amount || !region || !third) throw new Error('fixture has three fields');
    const fields = [
      { ...amount, kind_source: 'inferred' as const },
      { ...region, kind: 'text' as const, kind_source: 'fallback' as const },
      { ...third, kind_source: 'schema' as const },
    ];
    const html = renderToStaticMarkup(<FieldReview {...base} fields={fields} />);
    const notes = [...html.matchAll(/data-testid="kind-source-note" data-source="([a-z]+)">([^<]*)</g)].map((m) => [m[1], m[2]]);
    expect(notes).toEqual([
      ['inferred', 'kind inferred from the argument name'],
      ['fallback', 'kind guessed as text — an admin can set it in the Backends view'],
    ]);
    expect(html).toMatch(/class="kind-note warn-text small" data-testid="kind-source-note" data-source="fallback"/);
    expect(html).toMatch(/class="kind-note muted small" data-testid="kind-source-note" data-source="inferred"/);
    // The note sits in the field's own row, after its kind hint.
    expect(html).toMatch(/data-field="region"[^]*?<div class="muted small">text<\/div><div class="kind-note warn-text small"/);
  });

  it('read-only shows no controls', () => {
    const html = renderToStaticMarkup(<FieldReview {...base} readOnly />);
    expect(html).not.toContain('data-testid="confirm-');
    expect(html).not.toContain('data-testid="ack-');
  });
});

describe('review panel', () => {
  it('opens with approve and deny disabled', () => {
    const html = wrap(<ReviewPanel item={item} onBack={() => {}} onOpenRun={() => {}} />);
    expect(html).toMatch(/<button[^>]*data-testid="approve"[^>]*disabled=""/);
    expect(html).toMatch(/<button[^>]*data-testid="deny"[^>]*disabled=""/);
    expect(html).toContain('data-testid="deny-reason"');
    expect(html).toContain('data-testid="deny-reason-text"');
    expect(html).toContain('data-testid="edit-toggle"');
    expect(html).toContain('data-testid="approve-missing"');
    expect(html).not.toContain('data-testid="rollback"');
  });

  it('an expired item says so and has no decision controls', () => {
    const exp: ActionItem = { ...item, action: { ...action, expires_at: '2026-01-01T00:00:00Z' } };
    const html = wrap(<ReviewPanel item={exp} onBack={() => {}} onOpenRun={() => {}} />);
    expect(html).toContain('data-testid="not-decidable"');
    expect(html).toContain('Expired');
    expect(html).not.toContain('data-testid="approve"');
    expect(html).not.toContain('data-testid="deny"');
  });

  it('an executed, rollback-capable item offers rollback only', () => {
    const ex: ActionItem = { ...item, effective_status: 'executed', action: { ...action, status: 'executed', decided_by: 'u_grace' } };
    const html = wrap(<ReviewPanel item={ex} onBack={() => {}} onOpenRun={() => {}} />);
    expect(html).toMatch(/<button[^>]*data-testid="rollback"[^>]*disabled=""/);
    expect(html).not.toContain('data-testid="approve"');
    expect(html).toContain('by u_grace');
  });
});

describe('delivery state', () => {
  const e: OutboxEntry = {
    id: 1,
    backend_id: 'b1',
    action_id: 'act_1',
    op: 'decision',
    idempotency_key: 'k',
    body: { decision: 'approve' },
    actor: 'u_rev',
    state: 'queued',
    attempts: 2,
    last_error: 'connection refused',
    response: null,
    opened_at: null,
    queued_at: '2026-11-25T15:00:00Z',
    answered_at: null,
  };
  it('says waiting to send with the error and attempts', () => {
    const html = renderToStaticMarkup(<DeliveryState entry={e} />);
    expect(html).toContain('data-testid="delivery-state"');
    expect(html).toContain('data-state="queued"');
    expect(html).toContain('waiting to send');
    expect(html).toContain('2 attempts; last error: connection refused');
  });
  it('says conflict plainly', () => {
    const html = renderToStaticMarkup(<DeliveryState entry={{ ...e, state: 'conflict', last_error: 'already denied' }} />);
    expect(html).toContain('conflict: decided elsewhere / expired');
  });
});

describe('interrupt shapes', () => {
  const batched: PendingAction = {
    ...action,
    action_id: 't-1:ffff.0',
    kind: 'issue_refund',
    title: 'Issue refund',
    rationale: 'Refunds move money: check the amount and currency.',
    policy_checks: [],
    proposed: { action: 'issue_refund', args: { amount: '120.00' } },
    batch: { group_id: 't-1:ffff', index: 0, size: 2, members: ['t-1:ffff.0', 't-1:ffff.1'] },
  };
  const sibling: ActionItem = {
    ...item,
    action: { ...batched, action_id: 't-1:ffff.1', kind: 'update_crm', title: 'Update crm <b>', batch: { ...batched.batch!, index: 1 } },
  };

  it('a request of a batched interrupt shows its position and links its siblings', () => {
    const html = wrap(<ReviewPanel item={{ ...item, action: batched }} siblings={[sibling]} onBack={() => {}} onOpenRun={() => {}} />);
    expect(html).toMatch(/data-testid="batch-note" data-index="0" data-size="2"/);
    expect(html).toContain('Request 1 of 2 — the agent resumes when all 2 are decided');
    expect(html).toMatch(/data-testid="batch-sibling" data-action-id="t-1:ffff.0" data-current="true"/);
    expect(html).toMatch(/data-testid="batch-sibling" data-action-id="t-1:ffff.1"[^]*data-testid="open-sibling"/);
    expect(html).toContain('Update crm &lt;b&gt;');
    expect(html).not.toContain('<b>');
    expect(html).toContain('Refunds move money');
    const q = wrap(<QueueTable items={[{ ...item, action: batched }]} now={new Date('2026-11-25T16:00:00Z')} onOpen={() => {}} />);
    expect(q).toMatch(/data-testid="batch-badge"[^>]*>[^<]*1 of 2/);
  });

  it('a custom payload is shown as JSON text, and says where to configure its answer', () => {
    const custom: PendingAction = {
      ...action,
      action_id: 't-2:eeee',
      kind: 'ask_shipping',
      title: 'Ask shipping',
      fields: [],
      proposed: { question: 'Ship?', details: { html: '<img src=x onerror=alert(1)>' } },
      opaque_payload: true,
      allowed_decisions: ['escalate'],
      policy_checks: [{ name: 'resume_template', passed: false, detail: 'no resume template is configured: Backends → Interrupt templates' }],
    };
    const html = wrap(<ReviewPanel item={{ ...item, action: custom }} onBack={() => {}} onOpenRun={() => {}} />);
    expect(html).toContain('data-testid="interrupt-payload"');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    expect(html).toMatch(/data-testid="no-template"[^]*Backends → Interrupt templates/);
    expect(html).not.toContain('data-testid="batch-note"');
    // A native write's own payload stays folded away under the fields.
    const native = wrap(<ReviewPanel item={{ ...item, action: { ...action, proposed: { order_id: 'o', amount: '1.00' } } }} onBack={() => {}} onOpenRun={() => {}} />);
    expect(native).not.toContain('data-testid="interrupt-payload"');
    expect(native).toContain('Raw proposed payload');
  });

  it('a decision held for its batch says so', () => {
    const e: OutboxEntry = {
      id: 1,
      backend_id: 'b1',
      action_id: 't-1:ffff.0',
      op: 'decision',
      idempotency_key: 'k',
      body: { decision: 'approve' },
      actor: 'rita',
      state: 'queued',
      attempts: 0,
      last_error: 'waiting for 1 other request of this interrupt',
      response: { held: 'batch', waiting_for: 1, size: 2, escalated: 0 },
      opened_at: null,
      queued_at: '2026-11-25T15:00:00Z',
      answered_at: null,
    };
    const html = renderToStaticMarkup(<DeliveryState entry={e} />);
    expect(html).toContain('waiting for 1 other request of this interrupt');
    expect(html).toContain('when all 2 requests of this interrupt are decided');
  });
});

describe('the queue at its cap', () => {
  it('says how many actions are not listed, and nothing when all are', () => {
    const html = renderToStaticMarkup(<CappedNote shown={5000} total={82693} filtered={false} />);
    expect(html).toContain('data-testid="queue-capped"');
    expect(html).toContain('data-total="82693"');
    expect(html).toContain('5,000 most urgent of 82,693');
    expect(html).toContain('77,693 more are not listed');
    expect(html).toContain('pending first');
    expect(renderToStaticMarkup(<CappedNote shown={12} total={12} filtered={false} />)).toBe('');
    expect(renderToStaticMarkup(<CappedNote shown={5000} total={5001} filtered />)).not.toContain('pending first');
  });
});

describe('the pending count', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const live = { ...item, action: { ...item.action, action_id: 'p1', expires_at: '2026-07-01T00:00:00Z' } };
  const gone = { ...item, action: { ...item.action, action_id: 'p2', expires_at: '2026-05-01T00:00:00Z' } };
  it('counts the list live while it holds every action: an expired one is not pending', () => {
    expect(pendingCount({ items: [live, gone], total: 2, pending: 2 }, [live, gone], now)).toBe(1);
  });
  it("past the cap, takes the store's count, not the listed items'", () => {
    expect(pendingCount({ items: [live, gone], total: 9000, pending: 7200 }, [live, gone], now)).toBe(7200);
  });
});
