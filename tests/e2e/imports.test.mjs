// End-to-end trace import: in the real app, the user prices a model in Settings, imports an
// OTLP/JSON file from a real instrumented agent (pydantic-ai) through File → Import traces, and
// the trace view shows its tool calls, tokens, cost and citations; importing again changes
// nothing. Then the OTLP/HTTP receiver is enabled in Settings and a real OpenTelemetry exporter
// (Python SDK, OTLP/HTTP protobuf) posts a live agent run to it, which appears in the app.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { withRig, waitFor } from './harness.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const FIXTURE = join(root, 'src-tauri', 'crates', 'otel', 'fixtures', 'pydantic_ai_support.json');
const AGENT = join(root, 'src-tauri', 'crates', 'receiver', 'tests', 'agent_export.py');
const VENV_PY = join(process.env.COUNTERSIGN_VENV_DIR ?? '/var/tmp/countersign-venvs', 'otel', 'bin', 'python');



/** Settings → add a price for the fixture's model, effective long before its spans. */
async function priceModel(s, model, input, output) {
  await (await s.waitFind('[data-testid="nav-settings"]')).click();
  await s.waitFind('[data-testid="price-table"] [data-testid="price-row"]');
  const before = (await s.findAll('[data-testid="price-row"]')).length;
  await (await s.find('[data-testid="price-add"]')).click();
  const rows = await waitFor('the new price row', async () => {
    const r = await s.findAll('[data-testid="price-row"]');
    return r.length === before + 1 ? r : null;
  });
  const row = rows.at(-1);
  await (await row.find('[data-testid="price-model"]')).type(model);
  await (await row.find('[data-testid="price-from"]')).replaceText('2020-01-01');
  await (await row.find('[data-testid="price-input"]')).type(input);
  await (await row.find('[data-testid="price-output"]')).type(output);
  const save = await s.find('[data-testid="price-save"]');
  await waitFor('save to be enabled', () => s.cmd('GET', `/element/${save.id}/enabled`));
  await save.click();
  await s.waitFind('[data-testid="price-saved"]');
  await s.waitFind('[data-testid="price-table"][data-custom="true"]');
}

/** File → Import traces with `path`; resolves to the result element. */
async function importFile(s, path) {
  await (await s.waitFind('[data-testid="file-import"]')).click();
  await s.waitFind('[data-testid="import-panel"]');
  // W3C "send keys" to an <input type=file> selects that file (WebKitWebDriver supports it):
  // the app then reads it with File.text() exactly as after the native picker.
  const input = await s.find('[data-testid="import-file"]');
  await s.cmd('POST', `/element/${input.id}/value`, { text: path });
  return s.waitFind('[data-testid="import-result"]');
}

async function texts(s, css) {
  return Promise.all((await s.findAll(css)).map((e) => e.text()));
}

test('an OTLP/JSON trace file imports into runs with tool calls, tokens, cost and citations', withRig('import-otlp-file', async (rig) => {
  const t0 = Date.now();
  const { session: s } = await rig.app();
  await priceModel(s, 'support-scripted', '2.50', '10.00');

  const result = await importFile(s, FIXTURE);
  assert.equal(await result.attr('data-inserted'), '1');
  assert.equal(await result.attr('data-rejected'), '0');
  const warnings = await texts(s, '[data-testid="import-warning"]');
  assert.ok(!warnings.some((w) => /no price/.test(w)), `the model is priced now: ${warnings}`);
  await rig.screenshot('import-result');

  // Open the imported run from the result: the trace view.
  await (await s.find('[data-testid="import-run"]')).click();
  const detail = await s.waitFind('[data-testid="run-detail"]');
  assert.match(await detail.attr('data-run-id'), /^otel-[0-9a-f]{32}$/);
  const calls = await waitFor('two tool calls', async () => {
    const c = await s.findAll('[data-testid="tool-call"]');
    return c.length === 2 ? c : null;
  });
  const callText = await Promise.all(calls.map((c) => c.text()));
  assert.match(callText[0], /search_kb/);
  assert.match(callText[1], /lookup_order/);
  // Three model calls: 260 input and 45 output tokens, priced at $2.50 / $10.00 per 1M tokens.
  assert.match(await (await s.find('[data-testid="run-tokens"]')).text(), /260 in · 45 out · 305 total/);
  assert.match(await (await s.find('[data-testid="run-cost"]')).text(), /0\.0011/);
  const citations = await texts(s, '[data-testid="citation"]');
  assert.equal(citations.length, 2);
  assert.match(citations[0], /Refund policy \(EU\)/);
  assert.match(citations[0], /within 14 days of delivery/);
  await rig.screenshot('imported-run');

  // The same file again: nothing changes.
  const again = await importFile(s, FIXTURE);
  assert.equal(await again.attr('data-inserted'), '0');
  assert.equal(await again.attr('data-unchanged'), '1');

  // "Show the imported runs": the run list filtered to the import's source.
  await (await s.find('[data-testid="import-open-runs"]')).click();
  const rows = await waitFor('the imported run in the list', async () => {
    const r = await s.findAll('[data-testid="run-row"]');
    return r.length === 1 ? r : null;
  });
  assert.match(await rows[0].text(), /support_triage/);
  console.log(`import e2e: ${Date.now() - t0} ms`);
}));

/** Runs the real pydantic-ai agent with the OTLP/HTTP protobuf exporter posting to `endpoint`. */
function exportAgentRun(endpoint) {
  assert.ok(existsSync(VENV_PY), `${VENV_PY} is missing: run scripts/venv-otel.sh`);
  return new Promise((ok, fail) => {
    const p = spawn(VENV_PY, [AGENT, endpoint, '--encoding', 'proto', '--model', 'acme-support'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) ok(JSON.parse(out.trim()));
      else fail(new Error(`agent_export.py exited ${code}: ${err}`));
    });
  });
}

test('the OTLP/HTTP receiver enabled in Settings turns a live exporter run into a run', withRig('otlp-receiver', async (rig) => {
  const { session: s, env } = await rig.app();
  await priceModel(s, 'acme-support', '1.00', '2.00');
  await s.waitFind('[data-testid="receiver"][data-state="off"]');
  // A port another program holds: the view says why the receiver is not running.
  const squatter = createServer();
  await new Promise((ok) => squatter.listen(0, '127.0.0.1', ok));
  const taken = squatter.address().port;
  try {
    await (await s.find('[data-testid="receiver-enabled"]')).click();
    await (await s.find('[data-testid="receiver-port"]')).replaceText(String(taken));
    await (await s.find('[data-testid="receiver-apply"]')).click();
    const why = await s.waitFind('[data-testid="receiver"][data-state="failed"] [data-testid="receiver-error"]');
    assert.match(await why.text(), new RegExp(`127\\.0\\.0\\.1:${taken}`));
  } finally {
    await new Promise((ok) => squatter.close(ok));
  }
  // Port 0: any free port, reported back.
  await (await s.find('[data-testid="receiver-port"]')).replaceText('0');
  await (await s.find('[data-testid="receiver-apply"]')).click();
  const endpointEl = await s.waitFind('[data-testid="receiver"][data-state="running"] [data-testid="receiver-endpoint"]');
  const endpoint = await endpointEl.text();
  assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
  await rig.screenshot('receiver-running');

  // Wrong content type: refused with a clear error, nothing stored.
  const bad = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
  assert.equal(bad.status, 415);

  const exported = await exportAgentRun(endpoint);
  assert.equal(exported.ok, true);
  const runId = `otel-${exported.trace_ids[0]}`;
  // The receiver's counters move (the Settings view reloads on the store change).
  await waitFor('the receiver counters', async () => /1 exports accepted/.test(await (await s.find('[data-testid="receiver-stats"]')).text()));

  await (await s.find('[data-testid="nav-runs"]')).click();
  const row = await waitFor('the received run in the list', async () => {
    for (const r of await s.findAll('[data-testid="run-row"]')) if ((await r.attr('data-run-id')) === runId) return r;
    return null;
  });
  await row.click();
  await s.waitFind(`[data-testid="run-detail"][data-run-id="${runId}"]`);
  const calls = await waitFor('two tool calls', async () => {
    const c = await s.findAll('[data-testid="tool-call"]');
    return c.length === 2 ? c : null;
  });
  assert.match(await calls[0].text(), /search_kb/);
  assert.equal((await s.findAll('[data-testid="citation"]')).length, 2);
  // Priced from the table ($1.00 / $2.00 per 1M tokens): not $0.
  assert.doesNotMatch(await (await s.find('[data-testid="run-cost"]')).text(), /^\$0\.00\b/);

  // Enabled is remembered: the next launch on the same store starts the receiver again.
  await rig.crashApp();
  const { session: s2 } = await rig.app({ COUNTERSIGN_STORE: env.COUNTERSIGN_STORE });
  await (await s2.waitFind('[data-testid="nav-settings"]')).click();
  const again = await s2.waitFind('[data-testid="receiver"][data-state="running"] [data-testid="receiver-endpoint"]');
  assert.match(await again.text(), /^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
}));
