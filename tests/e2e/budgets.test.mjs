// End-to-end budgets: finance sets a daily hard cap in the real app, the real reference backend
// enforces it (simulated runs are stopped and show up as budget_stopped after a sync), and a
// reviewer-only identity sees the caps read-only with no way to save.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withRig, waitFor, backendGet } from './harness.mjs';

const enabled = (s, el) => s.cmd('GET', `/element/${el.id}/enabled`);


async function backendFetch(info, method, path, body, token = info.token) {
  return fetch(info.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
}

async function addBackend(s, url, token) {
  await (await s.waitFind('[data-testid="nav-backends"]')).click();
  await (await s.waitFind('[data-testid="backend-name"]')).type('Reference under test');
  await (await s.find('[data-testid="backend-url"]')).type(url);
  await (await s.find('[data-testid="backend-token"]')).type(token);
  await (await s.find('[data-testid="backend-add"]')).click();
  await waitFor('a healthy backend', async () => {
    for (const b of await s.findAll('[data-testid="health-badge"]')) if ((await b.text()).toLowerCase().includes('healthy')) return true;
    return false;
  });
}

async function choose(row, testId, value) {
  await (await row.find(`[data-testid="${testId}"]`)).choose(value);
}

test('finance sets a daily hard cap in the app and the backend stops runs at it', withRig('budget-hard-cap', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '20', '--trickle', '0', '--seed', '7']);
  const { session: s } = await rig.app();
  await addBackend(s, backend.url, backend.token);

  await (await s.find('[data-testid="nav-budgets"]')).click();
  // The backend's default caps arrive with the sync; the all-roles demo token may edit.
  await s.waitFind('[data-testid="backend-budgets"][data-can-edit="true"] [data-testid="budget-row"]');
  await (await s.find('[data-testid="budget-add"]')).click();
  const row = await s.waitFind('[data-testid="budget-form"][data-new="true"]');
  await choose(row, 'budget-scope-kind', 'backend');
  await choose(row, 'budget-period', 'day');
  const tz = await row.find('[data-testid="budget-tz"]');
  await tz.replaceText('UTC');
  // Client-side validation: no limit yet, so save is disabled and the form says why.
  const why = await waitFor('a validation message', async () => (await s.findAll('[data-testid="budget-form"] [data-testid="budget-field-error"]'))[0]);
  assert.match(await why.text(), /at least one limit/);
  assert.equal(await enabled(s, await s.find('[data-testid="budget-save"]')), false, 'save disabled while invalid');
  await (await row.find('[data-testid="budget-max-cost"]')).type('0.01');
  await choose(row, 'budget-enforcement', 'hard');

  // The preview lists the new cap with its exact limit before anything is saved.
  const diff = await waitFor('the change preview', async () => {
    const e = await s.findAll('[data-testid="budget-diff-entry"][data-kind="added"]');
    return e[0];
  });
  assert.match(await diff.text(), /\$0\.01/);
  const save = await s.find('[data-testid="budget-save"]');
  await waitFor('save to be enabled', () => enabled(s, save));
  await rig.screenshot('budget-editor');
  await save.click();
  await s.waitFind('[data-testid="budget-saved"]');
  await s.waitFind('[data-testid="budget-row"][data-enforcement="hard"][data-period="day"][data-scope-kind="backend"]');
  assert.equal((await s.findAll('[data-testid="budget-form"]')).length, 0, 'the editor closed after saving');

  // The backend has the cap (independent view over HTTP).
  const caps = await backendGet(backend, '/v1/budgets');
  const cap = caps.items.find((b) => b.scope.kind === 'backend' && b.period === 'day' && b.enforcement === 'hard');
  assert.ok(cap, `backend has the hard daily cap: ${JSON.stringify(caps.items)}`);
  assert.equal(cap.limits.max_cost_micros, 10_000);
  assert.equal(cap.time_zone, 'UTC');

  // Live runs now hit the cap.
  const sim = await backendFetch(backend, 'POST', '/v1/admin/simulate', { runs: 10 });
  assert.ok(sim.ok, `simulate → ${sim.status}`);
  const runs = await backendGet(backend, '/v1/runs?limit=1000');
  const stopped = runs.items.filter((r) => r.outcome === 'budget_stopped');
  assert.ok(stopped.length > 0, 'the backend stopped runs at the cap');

  await (await s.find('[data-testid="nav-runs"]')).click();
  await (await s.waitFind('[data-testid="sync-now"]')).click();
  await (await s.waitFind('[data-testid="filter-outcome"]')).choose('budget_stopped');
  const ids = await waitFor('stopped runs listed', async () => {
    const rows = await s.findAll('[data-testid="run-row"]');
    const got = await Promise.all(rows.map((r) => r.attr('data-run-id')));
    return got.includes(stopped[0].run_id) ? got : null;
  });
  for (const id of ids) {
    const outcome = await (await s.find(`[data-testid="run-row"][data-run-id="${id}"] [data-col="outcome"]`)).text();
    assert.equal(outcome, 'budget_stopped', `${id} is budget_stopped`);
  }

  // Budgets shows the runs stopped by the cap in this period.
  await (await s.find('[data-testid="nav-budgets"]')).click();
  await waitFor('stopped runs counted against the cap', async () => {
    const c = await s.findAll(`[data-testid="budget-row"][data-budget-id="${cap.budget_id}"] [data-testid="budget-stopped"]`);
    return c[0] && Number(await c[0].attr('data-stopped')) > 0;
  });
  await rig.screenshot('budgets');
}));

test('a reviewer-only identity sees budgets read-only and cannot save', withRig('budget-readonly', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '10', '--trickle', '0', '--seed', '8']);
  const tokens = JSON.parse(readFileSync(join(backend.data, 'tokens.json'), 'utf8'));
  const reviewer = Object.entries(tokens).find(([, w]) => w.subject === 'reviewer-only')?.[0];
  assert.ok(reviewer, 'tokens.json has a reviewer-only token');

  // The backend itself refuses budget edits from this identity.
  const put = await backendFetch(backend, 'PUT', '/v1/budgets', { items: [] }, reviewer);
  assert.equal(put.status, 403, 'backend refuses a reviewer');

  const { session: s } = await rig.app();
  await addBackend(s, backend.url, reviewer);
  await (await s.find('[data-testid="nav-budgets"]')).click();
  await s.waitFind('[data-testid="budget-row"]');
  const note = await s.waitFind('[data-testid="budget-readonly"]');
  assert.match((await note.text()).toLowerCase(), /can.t edit budgets/);
  await waitFor('identity shown', async () => (await s.findAll('[data-testid="budget-identity"]')).length > 0);
  for (const id of ['budget-save', 'budget-add', 'budget-edit', 'budget-remove', 'budget-form']) {
    assert.equal((await s.findAll(`[data-testid="${id}"]`)).length, 0, `no ${id}`);
  }
  await rig.screenshot('budgets-readonly');
}));

test('a budget change is in the audit trail; an export verifies and a tampered copy does not', withRig('budget-audit', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '10', '--trickle', '0', '--seed', '9']);
  const { session: s } = await rig.app();
  await addBackend(s, backend.url, backend.token);

  // Raise the soft alert threshold of the backend's default daily cap.
  await (await s.find('[data-testid="nav-budgets"]')).click();
  await (await s.waitFind('[data-testid="budget-row"][data-budget-id="bud_backend_daily"] [data-testid="budget-edit"]')).click();
  const alert = await s.waitFind('[data-testid="budget-form"][data-budget-id="bud_backend_daily"] [data-testid="budget-alert"]');
  await alert.replaceText('90');
  const changed = await waitFor('the change preview', async () => (await s.findAll('[data-testid="budget-diff-entry"][data-kind="changed"]'))[0]);
  assert.match(await changed.text(), /80 %[\s\S]*90 %/);
  await (await s.find('[data-testid="budget-save"]')).click();
  await s.waitFind('[data-testid="budget-saved"]');
  const caps = await backendGet(backend, '/v1/budgets');
  assert.equal(caps.items.find((b) => b.budget_id === 'bud_backend_daily')?.alert_at_percent, 90);

  await (await s.find('[data-testid="nav-audit"]')).click();
  const ev = await s.waitFind('[data-testid="audit-row"][data-kind="budget_change"]');
  const summary = await (await ev.find('[data-testid="audit-budget-diff"]')).text();
  assert.match(summary, /alert at: 80 % → 90 %/);
  assert.match(await (await ev.find('[data-col="details"]')).text(), /"after"[\s\S]*"alert_at_percent": 90/);
  assert.match(await (await s.find('[data-testid="public-key"]')).text(), /^[0-9a-f]{64}$/);
  await s.waitFind('[data-testid="audit-chain"][data-ok="true"]');
  // Admin: the identity's roles on the backend, knowledge sources with a deprecated document.
  const roles = await (await s.waitFind('[data-testid="admin-roles"]')).attr('data-roles');
  assert.ok(roles.split(',').includes('finance'), `roles: ${roles}`);
  await s.waitFind('[data-testid="source-row"] [data-testid="doc-deprecated"]');

  await (await s.find('[data-testid="audit-export"]')).click();
  const result = await s.waitFind('[data-testid="export-result"]');
  const dir = await result.attr('data-dir');
  const verifyDir = await s.find('[data-testid="verify-dir"]');
  assert.equal(await verifyDir.value(), dir, 'verify folder prefilled');
  await (await s.find('[data-testid="audit-verify"]')).click();
  await s.waitFind('[data-testid="verify-ok"]');
  await s.waitFind('[data-testid="verify-key-match"]');

  // Change one byte of the exported runs: verification names the file.
  const file = join(dir, 'runs.jsonl');
  const text = readFileSync(file, 'utf8');
  const i = text.slice(0, text.indexOf('\n')).search(/\d/);
  assert.ok(i >= 0 && text.length > 0, 'runs.jsonl has a record with a digit');
  writeFileSync(file, text.slice(0, i) + (text[i] === '9' ? '8' : '9') + text.slice(i + 1));
  await (await s.find('[data-testid="audit-verify"]')).click();
  const failed = await s.waitFind('[data-testid="verify-failed"]');
  assert.match(await failed.text(), /runs\.jsonl/);
  await rig.screenshot('audit');
}));
