// End-to-end: the real app syncs from a real reference backend and shows its runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRig, waitFor, backendGet, usd, addBackendInApp } from './harness.mjs';

test('a backend added in the app syncs and its runs appear with workflow and cost', withRig('add-backend-sync', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '40', '--trickle', '0', '--seed', '11']);
  const { session: s } = await rig.app();

  await addBackendInApp(s, backend);

  await waitFor('the backend to report healthy', async () => {
    const badges = await s.findAll('[data-testid="health-badge"]');
    for (const b of badges) if ((await b.text()).toLowerCase().includes('healthy')) return true;
    return false;
  });

  // The backend's own newest run, read independently over HTTP.
  const page = await backendGet(backend, '/v1/runs?limit=1000');
  assert.ok(page.items.length > 0, 'backend serves runs');
  const newest = page.items.reduce((a, b) => (a.started_at > b.started_at ? a : b));

  await (await s.find('[data-testid="nav-runs"]')).click();
  const row = await waitFor('the newest run in the list', async () => {
    const rows = await s.findAll(`[data-testid="run-row"][data-run-id="${newest.run_id}"]`);
    return rows[0];
  });
  assert.equal(await (await row.find('[data-col="workflow"]')).text(), newest.workflow);
  assert.equal(await (await row.find('[data-col="workflow_version"]')).text(), newest.workflow_version);
  // Shown at cents; the exact micro-dollars stay on the element (its tooltip).
  const cost = await row.find('[data-col="cost"] .money');
  assert.equal(await cost.text(), usd(newest.cost_micros));
  assert.equal(await cost.attr('data-micros'), String(newest.cost_micros));
  const rows = await s.findAll('[data-testid="run-row"]');
  assert.ok(rows.length >= Math.min(page.items.length, 40), `list shows the synced runs (${rows.length})`);
  await rig.screenshot('runs-list');
}));

test('a pending action queued at the backend shows up in the app by itself', withRig('pending-latency', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '10', '--trickle', '0', '--seed', '13']);
  const { session: s } = await rig.app({ COUNTERSIGN_SYNC_INTERVAL_MS: '1500' });
  await addBackendInApp(s, backend);
  await waitFor('the first sync', async () => {
    for (const b of await s.findAll('[data-testid="health-badge"]')) if ((await b.text()).toLowerCase().includes('healthy')) return true;
    return false;
  });
  await (await s.find('[data-testid="nav-approvals"]')).click();
  const before = (await s.findAll('[data-testid="action-row"]')).length;
  const seen = new Set(await Promise.all((await s.findAll('[data-testid="action-row"]')).map((r) => r.attr('data-action-id'))));
  // Queue new work at the backend, then wait (no manual sync) until a new action row appears.
  const t0 = Date.now();
  const res = await fetch(`${backend.url}/v1/admin/simulate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ runs: 12 }),
  });
  assert.equal(res.status, 200);
  await waitFor('a new action row', async () => {
    const ids = await Promise.all((await s.findAll('[data-testid="action-row"]')).map((r) => r.attr('data-action-id')));
    return ids.some((id) => !seen.has(id));
  }, 20_000, 50);
  const ms = Date.now() - t0;
  console.log(`# measured: new pending action visible ${ms} ms after the backend queued it (sync interval 1500 ms, ${before} rows before)`);
}));
