// End-to-end: a reviewer adds a real LangGraph Server (`langgraph dev` running the fixture
// refund graph) in the Backends view, approves its interrupted refund from the Approvals view
// with the same structured-field review as native actions, and the graph finishes with it; and
// decides both tool calls of a LangChain agent's batched human-in-the-loop interrupt one by one,
// the agent resumed once with both.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KEY, handOffPort, waitFor, withRig } from './harness.mjs';

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

/**
 * Starts `langgraph dev` on a free loopback port in a temp copy of the fixture graph; with
 * `agents`, the LangChain human-in-the-loop agents of agents.py too (langgraph-agents.json).
 */
async function langgraphDev(rig, { agents = false } = {}) {
  assert.ok(existsSync(LANGGRAPH), `${LANGGRAPH} is missing: create it with scripts/venv-langgraph.sh`);
  const dir = rig.tempDir('langgraph');
  if (agents) {
    for (const f of ['graph.py', 'agents.py']) copyFileSync(join(FIXTURE, f), join(dir, f));
    copyFileSync(join(FIXTURE, 'langgraph-agents.json'), join(dir, 'langgraph.json'));
  } else {
    for (const f of ['langgraph.json', 'graph.py']) copyFileSync(join(FIXTURE, f), join(dir, f));
  }
  const port = await handOffPort();
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

/** Adds the LangGraph server in the Backends view and waits for its first healthy sync. */
async function addLangGraph(s, url, name) {
  await (await s.waitFind('[data-testid="nav-backends"]')).click();
  await (await s.waitFind('[data-testid="backend-kind"]')).choose('langgraph');
  await (await s.find('[data-testid="backend-name"]')).type(name);
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
}

/** Confirms every field of the open review: money re-typed, the rest ticked, `skip` left out. */
async function confirmAll(s, skip = []) {
  for (const f of await s.findAll('[data-testid="review-field"]')) {
    const name = await f.attr('data-field');
    if (skip.includes(name)) continue;
    const value = await (await f.find('[data-testid="field-proposed"]')).text();
    const reenter = await s.findAll(`[data-testid="reenter-${name}"]`);
    if (reenter.length) {
      await reenter[0].type(value);
      await waitFor(`${name} to match`, async () => (await (await s.find(`[data-testid="reenter-state-${name}"]`)).attr('data-state')) === 'match');
    } else {
      await (await s.find(`[data-testid="confirm-${name}"]`)).click();
    }
  }
}

/** Acknowledges every warning shown once the values were checked. */
async function acknowledgeWarnings(s, missingId) {
  await waitFor('the values to be checked for traps', async () => {
    const m = await s.findAll(`[data-testid="${missingId}"]`);
    return m.length > 0 && !(await m[0].text()).includes('checking');
  });
  for (const ack of await s.findAll('[data-testid^="ack-"]')) await ack.click();
}

const enabled = async (s, el) => (await s.cmd('GET', `/element/${el.id}/enabled`)) === true;

test(
  'both tool calls of a LangChain agent\'s batched interrupt are decided in the app and the agent finishes with them',
  withRig('langgraph-hitl-batched', async (rig) => {
    const url = await langgraphDev(rig, { agents: true });
    const t = await lg(url, 'POST', '/threads', { metadata: { user_id: 'support-bot', tenant: 'acme' } });
    const thread = t.thread_id;
    await lg(url, 'POST', `/threads/${thread}/runs/wait`, {
      assistant_id: 'hitl_batched',
      input: { messages: [{ role: 'user', content: 'refund ord_1001 and note it in the CRM' }] },
    });
    const interrupted = await lg(url, 'GET', `/threads/${thread}`);
    assert.equal(interrupted.status, 'interrupted', 'the agent waits for a reviewer');
    assert.equal(Object.values(interrupted.interrupts).flat().length, 1, 'one interrupt holds both tool calls');
    const { session: s } = await rig.app();
    await addLangGraph(s, url, 'Support agent (LangChain)');

    // Both tool calls are in the queue, each marked as one of two requests.
    await (await s.find('[data-testid="nav-approvals"]')).click();
    const rowOf = async (kind) =>
      waitFor(`the ${kind} request in the queue`, async () => {
        for (const r of await s.findAll(`[data-testid="action-row"][data-kind="${kind}"][data-status="pending"]`)) {
          if ((await r.attr('data-action-id')).startsWith(thread)) return r;
        }
        return null;
      });
    const refundRow = await rowOf('issue_refund');
    await rowOf('update_crm');
    assert.match(await (await refundRow.find('[data-testid="batch-badge"]')).text(), /1 of 2/);
    const refundId = await refundRow.attr('data-action-id');
    await (await refundRow.find('[data-testid="open-action"]')).click();
    await s.waitFind(`[data-testid="review-panel"][data-action-id="${refundId}"]`);
    const note = await s.waitFind('[data-testid="batch-note"]');
    assert.equal(await note.attr('data-index'), '0');
    assert.equal(await note.attr('data-size'), '2');
    assert.match(await (await s.find('[data-testid="batch-position"]')).text(), /Request 1 of 2 — the agent resumes when all 2 are decided/);
    assert.match(await (await s.find('[data-testid="rationale"]')).text(), /Refunds move money/);

    // The refund: the amount corrected to 80.00, every other value confirmed.
    const fields = {};
    for (const f of await s.findAll('[data-testid="review-field"]')) {
      fields[await f.attr('data-field')] = await (await f.find('[data-testid="field-proposed"]')).text();
    }
    assert.deepEqual(fields, { amount: '120.00', currency: 'EUR', notify: 'true', order_id: 'ord_1001' });
    await (await s.waitFind('[data-testid="edit-toggle"]')).click();
    const withEdits = await s.waitFind('[data-testid="approve-with-edits"]');
    await (await s.find('[data-testid="edit-amount"]')).type(KEY.end + KEY.backspace.repeat(20) + '80.00');
    await s.waitFind('[data-testid="field-correction"]');
    await confirmAll(s, ['amount']);
    await acknowledgeWarnings(s, 'edit-missing');
    await waitFor('approve with corrections to open', () => enabled(s, withEdits));
    await withEdits.click();
    // Held, unsent, until the other request is decided.
    await waitFor('the refund decision to wait for its sibling', async () => {
      const st = await s.findAll('[data-testid="delivery-state"][data-state="queued"]');
      return st.length > 0 && (await st[0].text()).includes('waiting for 1 other request of this interrupt');
    });
    assert.equal((await lg(url, 'GET', `/threads/${thread}`)).status, 'interrupted', 'nothing is resumed yet');
    await rig.screenshot('batch-held');

    // The CRM note, opened from the batch: approved as proposed.
    const sibling = await s.waitFind('[data-testid="open-sibling"]');
    await sibling.click();
    const crmPanel = await s.waitFind('[data-testid="review-panel"]');
    const crmId = await crmPanel.attr('data-action-id');
    assert.notEqual(crmId, refundId);
    assert.equal(await (await s.waitFind('[data-testid="batch-note"]')).attr('data-index'), '1');
    const approve = await s.waitFind('[data-testid="approve"]');
    await confirmAll(s);
    await acknowledgeWarnings(s, 'approve-missing');
    await waitFor('approve to open', () => enabled(s, approve));
    await approve.click();

    // One resume with both decisions: the agent ran both tools, the refund with the corrected amount.
    const th = await waitFor(
      'the agent to finish',
      async () => {
        const x = await lg(url, 'GET', `/threads/${thread}`);
        return x.status === 'idle' ? x : null;
      },
      60_000,
    );
    const tools = th.values.messages.filter((m) => m.type === 'tool');
    assert.equal(tools.length, 2, 'each tool ran once');
    const refund = tools.find((m) => m.name === 'issue_refund').content;
    assert.ok(
      refund.endsWith('{"amount": "80.00", "currency": "EUR", "notify": true, "order_id": "ord_1001", "tool": "issue_refund"}'),
      refund,
    );
    assert.equal(
      tools.find((m) => m.name === 'update_crm').content,
      '{"customer_id": "cus_77", "note": "refund issued for ord_1001", "tool": "update_crm"}',
    );
    const runs = (await lg(url, 'GET', `/threads/${thread}/runs`)).filter((r) => r.metadata?.countersign_key);
    assert.equal(runs.length, 1, 'the thread was resumed once');
    await waitFor('the app to show both writes executed', async () => {
      const p = await s.findAll(`[data-testid="review-panel"][data-action-id="${crmId}"][data-status="executed"]`);
      return p.length > 0;
    });
    await (await s.find('[data-testid="review-back"]')).click();
    await waitFor('the refund row to show executed', async () => {
      const r = await s.findAll(`[data-testid="action-row"][data-action-id="${refundId}"][data-status="executed"]`);
      return r.length > 0;
    });
  }),
);

test(
  'a LangGraph interrupt is approved in the app with field review and the graph finishes with it',
  withRig('langgraph-approve', async (rig) => {
    const url = await langgraphDev(rig);
    const thread = await interruptedRefund(url, 'ord_1001');
    const { session: s } = await rig.app();

    await (await s.waitFind('[data-testid="nav-backends"]')).click();
    await (await s.waitFind('[data-testid="backend-kind"]')).choose('langgraph');
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
