// End-to-end: trust and autonomy in the real app against the real reference backend. A too-fast
// approval is counted under "too fast"; an admin sets a workflow read-only and the backend
// refuses its next write, which the scorecard's autonomy panel and the audit trail then show;
// raising autonomy while a readiness row fails demands a typed justification.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRig, waitFor, backendGet, addBackendInApp } from './harness.mjs';

async function backendSend(info, method, path, body) {
  const res = await fetch(info.url + path, {
    method,
    headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}

/** A backend with history and live pending writes, added through the UI and synced. */
async function setUp(rig, env = {}) {
  const backend = await rig.backend(['--seed-runs', '200', '--trickle', '0']);
  const sim = await backendSend(backend, 'POST', '/v1/admin/simulate', { runs: 30 });
  assert.equal(sim.status, 200, JSON.stringify(sim.body));
  const { session: s } = await rig.app(env);
  await addBackendInApp(s, backend);
  await waitFor('the backend to report healthy', async () => {
    for (const b of await s.findAll('[data-testid="health-badge"]')) {
      if ((await b.text()).toLowerCase().includes('healthy')) return true;
    }
    return false;
  });
  return { backend, s };
}

/** Opens the trust view and waits for `workflow`'s autonomy panel on the backend. */
async function openAutonomy(s, workflow) {
  await (await s.waitFind('[data-testid="nav-trust"]')).click();
  return s.waitFind(`[data-testid="autonomy-panel"][data-workflow="${workflow}"] [data-testid="autonomy"]`, 30_000);
}

/** Picks `level` in the workflow's level select. */
async function chooseLevel(s, workflow, level) {
  const sel = `[data-testid="autonomy-panel"][data-workflow="${workflow}"]`;
  await (await s.waitFind(`${sel} [data-testid="autonomy-select"]`)).click();
  await (await s.find(`${sel} [data-testid="autonomy-select"] option[value="${level}"]`)).click();
  return sel;
}

const enabled = (s, el) => s.cmd('GET', `/element/${el.id}/enabled`);

test('an approval faster than the minimum review time is counted under too fast', { timeout: 180_000 }, withRig('trust-too-fast', async (rig) => {
  // Ten minutes minimum: any approval in this test is too fast.
  const { backend, s } = await setUp(rig, { COUNTERSIGN_MIN_REVIEW_MS: '600000' });
  await (await s.find('[data-testid="nav-approvals"]')).click();
  const row = await s.waitFind('[data-testid="action-row"][data-kind="issue_refund"][data-status="pending"]', 30_000);
  const id = await row.attr('data-action-id');
  const action = await backendGet(backend, `/v1/actions/${encodeURIComponent(id)}`);
  await (await row.find('[data-testid="open-action"]')).click();
  await s.waitFind(`[data-testid="review-panel"][data-action-id="${id}"]`);
  await waitFor('the values to be checked for traps', async () => {
    const m = await s.findAll('[data-testid="approve-missing"]');
    return m.length > 0 && !(await m[0].text()).includes('checking');
  });
  for (const ack of await s.findAll('[data-testid^="ack-"]')) await ack.click();
  for (const f of action.fields) {
    if (f.confirm === 'reenter') {
      await (await s.find(`[data-testid="reenter-${f.name}"]`)).type(f.value);
      await waitFor(`${f.name} to match`, async () => (await (await s.find(`[data-testid="reenter-state-${f.name}"]`)).attr('data-state')) === 'match');
    } else {
      await (await s.find(`[data-testid="confirm-${f.name}"]`)).click();
    }
  }
  const approve = await s.find('[data-testid="approve"]');
  await waitFor('approve to be enabled', () => enabled(s, approve));
  await approve.click();
  await waitFor('the decision to be delivered', async () => {
    const st = await s.findAll('[data-testid="delivery-state"][data-op="decision"]');
    return st.length > 0 && (await st[0].attr('data-state')) === 'delivered';
  }, 25_000);
  assert.equal((await backendGet(backend, `/v1/actions/${encodeURIComponent(id)}`)).status, 'executed');

  await (await s.find('[data-testid="nav-trust"]')).click();
  const tooFast = await waitFor('the trust view to count the too-fast approval', async () => {
    const cells = await s.findAll('[data-testid="trust-totals"] [data-testid="drill-too_fast"]');
    return cells.length > 0 && Number(await cells[0].attr('data-count')) >= 1 ? cells[0] : null;
  });
  assert.equal(Number(await tooFast.attr('data-count')), 1, 'exactly the one approval');
  await rig.screenshot('too-fast');
  await tooFast.click();
  await s.waitFind(`[data-testid="trust-drill"] [data-testid="trust-drill-row"][data-action-id="${id}"]`);
}));

test('an admin sets a workflow read-only; the backend refuses its next write; the scorecard and the audit trail show it', { timeout: 180_000 }, withRig('autonomy-read-only', async (rig) => {
  const { backend, s } = await setUp(rig);
  const wf = 'refund_request';
  await openAutonomy(s, wf);
  const panel = await chooseLevel(s, wf, 'read_only');
  // Lowering needs no justification.
  assert.equal((await s.findAll(`${panel} [data-testid="autonomy-justification"]`)).length, 0);
  await (await s.find(`${panel} [data-testid="autonomy-save"]`)).click();
  await s.waitFind(`${panel} [data-testid="autonomy-level"][data-level="read_only"]`);
  const held = await backendGet(backend, `/v1/workflows/${wf}/autonomy`);
  assert.equal(held.level, 'read_only', 'pushed to the backend');
  assert.equal(held.set_by, 'demo-admin');

  // The workflow's next write, from an agent, is refused by the backend.
  const refused = await backendSend(backend, 'POST', '/v1/actions', {
    idempotency_key: 'e2e-ro-1',
    run_id: 'run-e2e-ro',
    workflow: wf,
    kind: 'issue_refund',
    title: 'Issue refund',
    target: { system: 'billing', record_id: 'ord_1' },
    risk: 'high',
    fields: [{ name: 'amount', label: 'Amount', kind: 'money', value: '12.00', confirm: 'reenter' }],
    rollback: { supported: true },
  });
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  assert.equal(refused.type, 'application/problem+json');
  assert.equal(refused.body.level, 'read_only');
  // And the generator's writes of the workflow are refused too.
  const sim = await backendSend(backend, 'POST', '/v1/admin/simulate', { runs: 20 });
  const generated = sim.body.refused.length;
  assert.ok(generated > 0, 'some simulated refunds were refused');

  // The scorecard's autonomy panel shows the refusals after the next sync.
  const count = await waitFor('the refused writes to reach the scorecard', async () => {
    const el = await s.findAll(`${panel} [data-testid="autonomy-refused"]`);
    const n = el.length ? Number(await el[0].attr('data-count')) : 0;
    return n >= 1 + generated ? n : null;
  }, 30_000);
  assert.equal(count, 1 + generated);
  await rig.screenshot('read-only-scorecard');

  // The audit trail holds the change with before → after and the scorecard as it stood.
  await (await s.find('[data-testid="nav-audit"]')).click();
  const ev = await s.waitFind('[data-testid="audit-row"][data-kind="autonomy_changed"]');
  const text = await ev.text();
  assert.match(text, /approve_every_write/);
  assert.match(text, /read_only/);
  assert.match(text, /scorecard/);
}));

test('raising autonomy while a readiness row fails demands a justification', { timeout: 180_000 }, withRig('autonomy-justification', async (rig) => {
  const { backend, s } = await setUp(rig);
  // support_triage has no hard cap in force: its "cost bounded" row fails.
  const wf = 'support_triage';
  await openAutonomy(s, wf);
  const card = await s.waitFind(`[data-testid="scorecard"][data-workflow="${wf}"] [data-testid="scorecard-row"][data-criterion="cost_bounded"]`);
  assert.equal(await card.attr('data-status'), 'fail');
  const panel = await chooseLevel(s, wf, 'autonomous_within_caps');
  const prompt = await s.waitFind(`${panel} [data-testid="autonomy-justification-prompt"]`);
  assert.match(await prompt.text(), /cost_bounded/);

  // Without one the change is refused and nothing reaches the backend.
  await (await s.find(`${panel} [data-testid="autonomy-save"]`)).click();
  const err = await s.waitFind(`${panel} [data-testid="autonomy-error"]`);
  assert.match(await err.text(), /justification/);
  assert.equal((await backendGet(backend, `/v1/workflows/${wf}/autonomy`)).level, 'approve_every_write');

  await (await s.find(`${panel} [data-testid="autonomy-justification"]`)).type('pilot week');
  await (await s.find(`${panel} [data-testid="autonomy-save"]`)).click();
  await s.waitFind(`${panel} [data-testid="autonomy-level"][data-level="autonomous_within_caps"]`);
  const held = await backendGet(backend, `/v1/workflows/${wf}/autonomy`);
  assert.equal(held.level, 'autonomous_within_caps');
  assert.equal(held.justification, 'pilot week');

  await (await s.find('[data-testid="nav-audit"]')).click();
  const ev = await s.waitFind('[data-testid="audit-row"][data-kind="autonomy_changed"]');
  assert.match(await ev.text(), /pilot week/);
  assert.match(await ev.text(), /cost_bounded/);
}));
