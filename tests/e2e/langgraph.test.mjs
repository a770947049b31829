// End-to-end: a reviewer adds a real LangGraph Server (`langgraph dev` running the fixture
// refund graph) in the Backends view, approves its interrupted refund from the Approvals view
// with the same structured-field review as native actions, and the graph finishes with it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, waitFor, withRig } from './harness.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const FIXTURE = join(root, 'src-tauri', 'crates', 'langgraph', 'fixtures', 'graph');
const VENVS = process.env.COUNTERSIGN_VENV_DIR ?? '/var/tmp/countersign-venvs';
const LANGGRAPH = join(VENVS, 'langgraph', 'bin', 'langgraph');

async function lg(url, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return res.json();
}

/** Starts `langgraph dev` on a free loopback port in a temp copy of the fixture graph. */
async function langgraphDev(rig) {
  assert.ok(existsSync(LANGGRAPH), `${LANGGRAPH} is missing: create it with scripts/venv-langgraph.sh`);
  const dir = rig.tempDir('langgraph');
  for (const f of ['langgraph.json', 'graph.py']) copyFileSync(join(FIXTURE, f), join(dir, f));
  const port = await freePort();
  const p = rig.spawn(LANGGRAPH, ['dev', '--no-browser', '--no-reload', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: dir,
    // stdout is not read: ignore it, or a full pipe stalls the server.
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      LANGSMITH_TRACING: 'false',
      LANGGRAPH_CLI_NO_ANALYTICS: '1',
      LANGGRAPH_NO_VERSION_CHECK: 'true',
      PYTHONUNBUFFERED: '1',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `langgraph dev to answer on ${url}`,
    async () => {
      if (p.exitCode !== null) throw new Error(`langgraph dev exited ${p.exitCode}: ${p.stderrText}`);
      try {
        return (await fetch(`${url}/ok`, { signal: AbortSignal.timeout(1000) })).ok;
      } catch {
        return false;
      }
    },
    60_000,
  );
  return url;
}

/** Runs the refund graph for an order until it stops at its review interrupt. */
async function interruptedRefund(url, orderId) {
  const t = await lg(url, 'POST', '/threads', { metadata: { user_id: 'support-bot', tenant: 'acme' } });
  await lg(url, 'POST', `/threads/${t.thread_id}/runs/wait`, {
    assistant_id: 'refunds',
    input: { ticket: { kind: 'refund', order_id: orderId } },
  });
  const th = await lg(url, 'GET', `/threads/${t.thread_id}`);
  assert.equal(th.status, 'interrupted', 'the graph waits for a reviewer');
  return t.thread_id;
}

test(
  'a LangGraph interrupt is approved in the app with field review and the graph finishes with it',
  withRig('langgraph-approve', async (rig) => {
    const url = await langgraphDev(rig);
    const thread = await interruptedRefund(url, 'ord_1001');
    const { session: s } = await rig.app();

    await (await s.waitFind('[data-testid="nav-backends"]')).click();
    await (await s.waitFind('[data-testid="backend-kind"] option[value="langgraph"]')).click();
    await (await s.find('[data-testid="backend-name"]')).type('Refund agents (LangGraph)');
    await (await s.find('[data-testid="backend-url"]')).type(url);
    await (await s.find('[data-testid="backend-add"]')).click();
    await waitFor('the LangGraph backend to sync healthy', async () => {
      for (const row of await s.findAll('[data-testid="backend-row"]')) {
        const kind = await (await row.find('[data-testid="backend-kind-tag"]')).attr('data-kind');
        const health = await (await row.find('[data-testid="health-badge"]')).text();
        if (kind === 'langgraph' && health.toLowerCase().includes('healthy')) return true;
      }
      return false;
    });

    await (await s.find('[data-testid="nav-approvals"]')).click();
    const row = await waitFor('the interrupted refund in the queue', async () => {
      for (const r of await s.findAll('[data-testid="action-row"][data-kind="issue_refund"][data-status="pending"]')) {
        if ((await r.attr('data-action-id')).startsWith(thread)) return r;
      }
      return null;
    });
    const actionId = await row.attr('data-action-id');
    await (await row.find('[data-testid="open-action"]')).click();
    await s.waitFind(`[data-testid="review-panel"][data-action-id="${actionId}"]`);

    // Same structured review as native actions: the amount is re-typed, the rest ticked.
    const approve = await s.waitFind('[data-testid="approve"]');
    assert.equal(await s.cmd('GET', `/element/${approve.id}/enabled`), false, 'approve is closed before review');
    const fields = {};
    for (const f of await s.findAll('[data-testid="review-field"]')) {
      fields[await f.attr('data-field')] = await (await f.find('[data-testid="field-proposed"]')).text();
    }
    assert.deepEqual(fields, { order_id: 'ord_1001', amount: '120.00', currency: 'EUR', region: 'DE' });
    await (await s.find('[data-testid="reenter-amount"]')).type('120.00');
    for (const name of ['order_id', 'currency', 'region']) await (await s.find(`[data-testid="confirm-${name}"]`)).click();
    await waitFor('approve to open', async () => (await s.cmd('GET', `/element/${approve.id}/enabled`)) === true);
    await approve.click();

    const state = await waitFor(
      'the graph to finish with the approved refund',
      async () => {
        const st = await lg(url, 'GET', `/threads/${thread}/state`);
        return st.values?.outcome ? st.values : null;
      },
      30_000,
    );
    assert.equal(state.outcome, 'refunded');
    assert.deepEqual(
      state.refunds_executed.map((r) => [r.order_id, r.amount, r.currency, r.region]),
      [['ord_1001', '120.00', 'EUR', 'DE']],
    );
    // The state shows the outcome while the resumed run may still be finishing ("busy"):
    // wait for the thread to settle, then check it settled as idle (not interrupted again).
    const th = await waitFor(
      'the resumed run to finish',
      async () => {
        const t = await lg(url, 'GET', `/threads/${thread}`);
        return t.status === 'busy' ? null : t;
      },
      30_000,
    );
    assert.equal(th.status, 'idle', 'the thread is no longer interrupted');
    await waitFor('the app to show the write executed', async () => {
      const p = await s.findAll(`[data-testid="review-panel"][data-action-id="${actionId}"][data-status="executed"]`);
      return p.length > 0;
    });
  }),
);
