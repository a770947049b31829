// End-to-end: a reviewer approves, denies and corrects live high-risk writes in the real app,
// and the real reference backend executes (or refuses) exactly what was decided.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY, withRig, waitFor, backendGet, addBackendInApp } from './harness.mjs';

async function backendPost(info, path, body) {
  const res = await fetch(info.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  if (!res.ok) throw new Error(`${path} → ${res.status} ${await res.text()}`);
  return res.json();
}

/** A backend with history plus live pending refunds and CRM updates, added through the UI. */
async function setUp(rig) {
  const backend = await rig.backend(['--seed-runs', '30', '--trickle', '0']);
  await backendPost(backend, '/v1/admin/simulate', { runs: 30 });
  const { session: s } = await rig.app();

  await addBackendInApp(s, backend);
  await waitFor('the backend to report healthy', async () => {
    for (const b of await s.findAll('[data-testid="health-badge"]')) {
      if ((await b.text()).toLowerCase().includes('healthy')) return true;
    }
    return false;
  });
  await (await s.find('[data-testid="nav-approvals"]')).click();
  return { backend, s };
}

const enabled = (s, el) => s.cmd('GET', `/element/${el.id}/enabled`);

/** Opens a pending action of `kind` (skipping `skip`); returns its id and the backend's copy. */
async function openPending(s, backend, kind, skip = []) {
  const row = await waitFor(`a pending ${kind} in the queue`, async () => {
    for (const r of await s.findAll(`[data-testid="action-row"][data-kind="${kind}"][data-status="pending"]`)) {
      if (!skip.includes(await r.attr('data-action-id'))) return r;
    }
    return null;
  });
  const id = await row.attr('data-action-id');
  const action = await backendGet(backend, `/v1/actions/${encodeURIComponent(id)}`);
  assert.equal(action.status, 'pending', 'the backend still has it pending');
  await (await row.find('[data-testid="open-action"]')).click();
  await s.waitFind(`[data-testid="review-panel"][data-action-id="${id}"]`);
  return { id, action };
}

/** Waits until the trap check answered, then acknowledges every warning shown. */
async function acknowledgeWarnings(s, missingId) {
  await waitFor('the values to be checked for traps', async () => {
    const m = await s.findAll(`[data-testid="${missingId}"]`);
    return m.length > 0 && !(await m[0].text()).includes('checking');
  });
  for (const ack of await s.findAll('[data-testid^="ack-"]')) await ack.click();
}

async function confirmField(s, f) {
  if (f.confirm === 'reenter') {
    await (await s.find(`[data-testid="reenter-${f.name}"]`)).type(f.value);
    await waitFor(`${f.name} to match`, async () => (await (await s.find(`[data-testid="reenter-state-${f.name}"]`)).attr('data-state')) === 'match');
  } else {
    await (await s.find(`[data-testid="confirm-${f.name}"]`)).click();
  }
}

async function waitDelivered(s) {
  return waitFor('the decision to be delivered', async () => {
    const st = await s.findAll('[data-testid="delivery-state"][data-op="decision"]');
    if (!st.length) return false;
    const state = await st[0].attr('data-state');
    if (state === 'conflict' || state === 'rejected') throw new Error(`delivery ${state}: ${await st[0].text()}`);
    return state === 'delivered' ? st[0] : false;
  }, 25_000);
}

test('approve stays disabled until every field is confirmed; the refund executes once', { timeout: 60_000 }, withRig('approve-refund', async (rig) => {
  const { backend, s } = await setUp(rig);
  const { id, action } = await openPending(s, backend, 'issue_refund');
  const approve = await s.waitFind('[data-testid="approve"]');
  assert.equal(await enabled(s, approve), false, 'approve is disabled on open');

  await acknowledgeWarnings(s, 'approve-missing');
  assert.equal(await enabled(s, approve), false, 'still disabled with no field confirmed');
  const rows = await s.findAll('[data-testid="review-field"]');
  assert.equal(rows.length, action.fields.length, 'one review row per field');
  assert.ok(action.fields.some((f) => f.confirm === 'reenter'), 'the amount must be re-entered');

  // A wrong re-entry does not count.
  const amount = action.fields.find((f) => f.name === 'amount');
  const reAmount = await s.find('[data-testid="reenter-amount"]');
  await reAmount.type(`${amount.value}9`);
  await waitFor('a mismatch', async () => (await (await s.find('[data-testid="reenter-state-amount"]')).attr('data-state')) === 'mismatch');
  await reAmount.type(KEY.end + KEY.backspace.repeat(40));

  for (const [i, f] of action.fields.entries()) {
    await confirmField(s, f);
    if (i < action.fields.length - 1) {
      assert.equal(await enabled(s, approve), false, `still disabled after confirming ${f.name} (${i + 1}/${action.fields.length})`);
    }
  }
  await waitFor('approve to be enabled after the last field', () => enabled(s, approve));
  await rig.screenshot('ready-to-approve');
  await approve.click();

  const st = await waitDelivered(s);
  assert.match(await st.text(), /delivered/);
  assert.equal((await s.findAll('[data-testid="approve"]')).length, 0, 'no decision controls once decided');

  const refunds = (await backendGet(backend, '/v1/system/refunds')).items.filter((r) => r.order_id === action.target.record_id);
  assert.equal(refunds.length, 1, `exactly one refund for ${action.target.record_id}`);
  assert.equal(refunds[0].action_id, id);
  assert.equal((await backendGet(backend, `/v1/actions/${encodeURIComponent(id)}`)).status, 'executed');
  await rig.screenshot('approved');
}));

test('deny needs a reason, then the backend records the denial', { timeout: 60_000 }, withRig('deny-action', async (rig) => {
  const { backend, s } = await setUp(rig);
  await s.waitFind('[data-testid="action-row"][data-status="pending"]');
  await rig.screenshot('queue');
  const { id, action } = await openPending(s, backend, 'issue_refund');
  const deny = await s.waitFind('[data-testid="deny"]');
  assert.equal(await enabled(s, deny), false, 'deny is disabled without a reason');
  const text = await s.find('[data-testid="deny-reason-text"]');
  await text.type('   ');
  assert.equal(await enabled(s, deny), false, 'blank text is not a reason');
  await text.type(KEY.end + KEY.backspace.repeat(10));

  assert.ok(action.deny_reasons.length > 0);
  await (await s.find('[data-testid="deny-reason"] option:nth-child(2)')).click();
  await waitFor('deny to be enabled with a reason', () => enabled(s, deny));
  await deny.click();
  await waitDelivered(s);

  const after = await backendGet(backend, `/v1/actions/${encodeURIComponent(id)}`);
  assert.equal(after.status, 'denied');
  const refunds = (await backendGet(backend, '/v1/system/refunds')).items.filter((r) => r.action_id === id);
  assert.equal(refunds.length, 0, 'a denied refund is not executed');
}));

test('approve with a corrected amount executes the corrected amount', { timeout: 60_000 }, withRig('approve-with-edits', async (rig) => {
  const { backend, s } = await setUp(rig);
  const { id, action } = await openPending(s, backend, 'issue_refund');
  const amount = action.fields.find((f) => f.name === 'amount');
  const corrected = amount.value === '7.77' ? '7.78' : '7.77';

  await (await s.waitFind('[data-testid="edit-toggle"]')).click();
  const submit = await s.waitFind('[data-testid="approve-with-edits"]');
  assert.equal(await enabled(s, submit), false, 'nothing corrected yet');
  const edit = await s.find('[data-testid="edit-amount"]');
  await edit.type(KEY.end + KEY.backspace.repeat(40) + corrected);
  await s.waitFind('[data-testid="field-correction"]');

  for (const f of action.fields) if (f.name !== 'amount') await confirmField(s, f);
  await acknowledgeWarnings(s, 'edit-missing');
  await waitFor('approve-with-edits to be enabled', () => enabled(s, submit));
  await rig.screenshot('corrected');
  await submit.click();
  await waitDelivered(s);

  const rows = (await backendGet(backend, '/v1/system/refunds')).items.filter((r) => r.action_id === id);
  assert.equal(rows.length, 1, 'one refund executed');
  assert.equal(rows[0].amount_micros, Math.round(Number(corrected) * 1_000_000), `refund of ${corrected}, not ${amount.value}`);
}));

test('an executed refund can be rolled back with a reason', { timeout: 60_000 }, withRig('rollback-refund', async (rig) => {
  const { backend, s } = await setUp(rig);
  const { id, action } = await openPending(s, backend, 'issue_refund');
  await acknowledgeWarnings(s, 'approve-missing');
  for (const f of action.fields) await confirmField(s, f);
  const approve = await s.find('[data-testid="approve"]');
  await waitFor('approve to be enabled', () => enabled(s, approve));
  await approve.click();
  await waitDelivered(s);
  assert.equal((await backendGet(backend, '/v1/system/refunds')).items.filter((r) => r.action_id === id).length, 1);

  const rollback = await s.waitFind('[data-testid="rollback"]');
  assert.equal(await enabled(s, rollback), false, 'rollback needs a reason');
  await (await s.find('[data-testid="rollback-reason"]')).type('refunded the wrong order');
  await waitFor('rollback to be enabled', () => enabled(s, rollback));
  await rollback.click();
  await waitFor('the rollback to be delivered', async () => {
    const st = await s.findAll('[data-testid="delivery-state"][data-op="rollback"]');
    return st.length > 0 && (await st[0].attr('data-state')) === 'delivered';
  }, 25_000);
  assert.equal((await backendGet(backend, `/v1/actions/${encodeURIComponent(id)}`)).status, 'rolled_back');
  assert.equal((await backendGet(backend, '/v1/system/refunds')).items.filter((r) => r.action_id === id).length, 0, 'the refund row is gone');
}));

test('a look-alike region raises a warning that must be acknowledged before approve works', withRig('homoglyph-region', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '5', '--trickle', '0']);
  await backendPost(backend, '/v1/admin/simulate', { runs: 12, homoglyph_region: true });
  const { session: s } = await rig.app();
  await addBackendInApp(s, backend);
  await (await s.find('[data-testid="nav-approvals"]')).click();
  const { action } = await openPending(s, backend, 'issue_refund');
  assert.ok(action.fields.some((f) => f.name === 'region' && f.value === '\u0415U'), 'the backend proposes ЕU');
  const warning = await waitFor('the confusable warning', async () => {
    for (const w of await s.findAll('[data-testid="field-warning"]')) if ((await w.attr('data-code')) === 'confusable') return w;
    return null;
  });
  assert.match(await warning.text(), /U\+0415/);
  for (const f of action.fields) await confirmField(s, f);
  const approve = await s.find('[data-testid="approve"]');
  assert.equal(await enabled(s, approve), false, 'approve stays disabled while the warning is unacknowledged');
  await acknowledgeWarnings(s, 'approve-missing');
  await waitFor('approve enabled after acknowledging', async () => enabled(s, await s.find('[data-testid="approve"]')));
  await rig.screenshot('acknowledged');
}));

test('an expired item shows as expired, not denied, and cannot be approved', withRig('expired-item', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '5', '--trickle', '0']);
  const created = await backendPost(backend, '/v1/admin/simulate', { runs: 12, expires_in_secs: 3 });
  assert.ok(created.created.length > 0);
  const { session: s } = await rig.app();
  await addBackendInApp(s, backend);
  await (await s.find('[data-testid="nav-approvals"]')).click();
  // The deadline passes (a time-driven state): wait until the queue shows the item as expired.
  const row = await waitFor('an expired refund in the queue', async () => {
    for (const r of await s.findAll('[data-testid="action-row"][data-kind="issue_refund"]')) {
      if ((await r.attr('data-status')) === 'expired') return r;
    }
    return null;
  }, 30_000, 200);
  const id = await row.attr('data-action-id');
  assert.doesNotMatch((await row.text()).toLowerCase(), /denied/);
  await (await row.find('[data-testid="open-action"]')).click();
  await s.waitFind(`[data-testid="review-panel"][data-action-id="${id}"]`);
  await s.waitFind('[data-testid="not-decidable"]');
  assert.equal((await s.findAll('[data-testid="approve"]')).length, 0, 'no approve control on an expired item');
  const remote = await backendGet(backend, `/v1/actions/${encodeURIComponent(id)}`);
  assert.equal(remote.status, 'expired', 'the backend agrees: expired, never denied');
}));

test('a decision queued while the backend is down survives an app crash and lands exactly once', withRig('crash-outbox', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '5', '--trickle', '0']);
  await backendPost(backend, '/v1/admin/simulate', { runs: 12 });
  const store = `${rig.tempDir('store')}/countersign.db`;
  let { session: s } = await rig.app({ COUNTERSIGN_STORE: store });
  await addBackendInApp(s, backend);
  await (await s.find('[data-testid="nav-approvals"]')).click();
  const { id, action } = await openPending(s, backend, 'issue_refund');
  for (const f of action.fields) await confirmField(s, f);
  await acknowledgeWarnings(s, 'approve-missing');
  const order = action.target.record_id;

  // The backend goes down; the reviewer approves anyway: the decision waits in the outbox.
  await rig.kill(backend.proc, 'SIGKILL');
  await waitFor('approve enabled', async () => enabled(s, await s.find('[data-testid="approve"]')));
  await (await s.find('[data-testid="approve"]')).click();
  await waitFor('waiting to send', async () => {
    const st = await s.findAll('[data-testid="delivery-state"][data-op="decision"]');
    return st.length && (await st[0].attr('data-state')) === 'queued';
  });
  // The app crashes before it could send anything.
  await rig.crashApp();

  // Backend back on the same address and data; the app restarts on the same store.
  const port = new URL(backend.url).port;
  const again = await rig.backend(['--trickle', '0'], { data: backend.data, listen: `127.0.0.1:${port}` });
  ({ session: s } = await rig.app({ COUNTERSIGN_STORE: store }));
  const refunds = await waitFor('the queued decision to be delivered', async () => {
    const rows = await backendGet(again, '/v1/system/refunds');
    const items = (rows.items ?? rows).filter((r) => JSON.stringify(r).includes(order));
    return items.length ? items : null;
  }, 30_000, 200);
  assert.equal(refunds.length, 1, 'executed exactly once');
  assert.equal((await backendGet(again, `/v1/actions/${encodeURIComponent(id)}`)).status, 'executed');
  // Later syncs and deliveries do not send it again.
  await (await s.waitFind('[data-testid="nav-runs"]')).click();
  await (await s.waitFind('[data-testid="sync-now"]')).click();
  const after = await backendGet(again, '/v1/system/refunds');
  assert.equal((after.items ?? after).filter((r) => JSON.stringify(r).includes(order)).length, 1);
}));

test('a reviewer escalates an item to finance with a reason; it stays pending for finance', withRig('escalate', async (rig) => {
  const { backend, s } = await setUp(rig);
  const { id } = await openPending(s, backend, 'issue_refund');
  const button = await s.find('[data-testid="escalate"]');
  assert.equal(await enabled(s, button), false, 'escalate needs a role and a reason');
  await (await s.find('[data-testid="escalate-role"]')).choose('finance');
  await (await s.find('[data-testid="escalate-reason"]')).type('amount above my approval limit');
  await waitFor('escalate enabled', async () => enabled(s, await s.find('[data-testid="escalate"]')));
  await (await s.find('[data-testid="escalate"]')).click();
  await waitFor('the escalation to be delivered', async () => {
    const st = await s.findAll('[data-testid="delivery-state"][data-op="decision"]');
    return st.length && (await st[0].attr('data-state')) === 'delivered';
  });
  const remote = await backendGet(backend, `/v1/actions/${encodeURIComponent(id)}`);
  assert.equal(remote.status, 'pending');
  assert.equal(remote.escalated_to, 'finance');
}));

test('a policy maximum stated in another currency than the refund is a trap to acknowledge, not a silent pass', withRig('policy-currency', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '5', '--trickle', '0']);
  await backendPost(backend, '/v1/admin/simulate', { runs: 12, policy_max_currency: 'JPY' });
  const { session: s } = await rig.app();
  await addBackendInApp(s, backend);
  await (await s.find('[data-testid="nav-approvals"]')).click();
  const { action } = await openPending(s, backend, 'issue_refund');
  assert.equal(action.field_rules.amount.currency, 'JPY', 'the backend states the maximum in JPY');
  const warning = await waitFor('the currency-mismatch warning', async () => {
    for (const w of await s.findAll('[data-testid="field-warning"]')) if ((await w.attr('data-code')) === 'policy_currency_mismatch') return w;
    return null;
  });
  assert.match(await warning.text(), /JPY/);
  for (const f of action.fields) await confirmField(s, f);
  const approve = await s.find('[data-testid="approve"]');
  assert.equal(await enabled(s, approve), false, 'approve stays disabled while the warning is unacknowledged');
  await acknowledgeWarnings(s, 'approve-missing');
  await waitFor('approve enabled after acknowledging', async () => enabled(s, await s.find('[data-testid="approve"]')));
}));
