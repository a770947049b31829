// End-to-end: a real Arize Phoenix holds the spans of a real instrumented agent run (the
// pydantic-ai fixture, posted as OTLP protobuf); the user adds the Phoenix project in the
// Backends view, sees it healthy with its kind, and the trace opens as a run with its tool
// calls, tokens and citations. Then Phoenix goes down and the row says so, runs kept.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { handOffPort, waitFor, withRig, openRunWithCalls } from './harness.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const FIXTURE = join(root, 'src-tauri', 'crates', 'otel', 'fixtures', 'pydantic_ai_support.json');
const LAUNCHER = join(root, 'src-tauri', 'crates', 'tracestore', 'tests', 'support', 'phoenix_loopback.py');
const SENDER = join(import.meta.dirname, 'support', 'send_otlp_protobuf.py');
const PY = join(process.env.COUNTERSIGN_VENV_DIR ?? '/var/tmp/countersign-venvs', 'phoenix', 'bin', 'python');

/** Starts Phoenix on free loopback ports (HTTP and gRPC) with a temp working dir. */
async function startPhoenix(rig) {
  assert.ok(existsSync(PY), `${PY} is missing: create it with scripts/venv-phoenix.sh`);
  const dir = rig.tempDir('phoenix');
  const port = await handOffPort();
  const grpc = await handOffPort();
  // stdout is not read: ignore it, or a full pipe stalls the server.
  const p = rig.spawn(PY, [LAUNCHER], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      PHOENIX_TELEMETRY_ENABLED: 'false',
      PHOENIX_WORKING_DIR: dir,
      PHOENIX_HOST: '127.0.0.1',
      PHOENIX_PORT: String(port),
      PHOENIX_GRPC_PORT: String(grpc),
      PHOENIX_ENABLE_AUTH: 'false',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `Phoenix to answer on ${url}`,
    async () => {
      if (p.exitCode !== null) throw new Error(`phoenix exited ${p.exitCode}: ${p.stderrText}`);
      try {
        return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
      } catch {
        return false;
      }
    },
    120_000,
  );
  return { url, proc: p };
}

function send(file, endpoint) {
  return new Promise((ok, fail) => {
    const p = spawn(PY, [SENDER, file, endpoint], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (c) => (c === 0 ? ok(Number(out.trim())) : fail(new Error(`sender exited ${c}: ${err}`))));
  });
}

async function spanCount(url) {
  const res = await fetch(`${url}/v1/projects/default/spans?limit=1000`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) return 0;
  return (await res.json()).data.length;
}

test(
  'a Phoenix project added in the app syncs its spans into a run with its trace, and its health is shown',
  withRig('phoenix-backend', async (rig) => {
    const phoenix = await startPhoenix(rig);
    const sent = await send(FIXTURE, `${phoenix.url}/v1/traces`);
    assert.equal(sent, 6, 'the fixture holds 6 spans');
    // Phoenix stores spans after answering: wait on the count, not a clock.
    await waitFor('Phoenix to store every span', async () => (await spanCount(phoenix.url)) === sent, 30_000);

    const { session: s } = await rig.app();
    await (await s.waitFind('[data-testid="nav-backends"]')).click();
    await (await s.waitFind('[data-testid="backend-kind"]')).choose('phoenix');
    await (await s.waitFind('[data-testid="backend-project"]')).type('default');
    await (await s.find('[data-testid="backend-name"]')).type('Traces (Phoenix)');
    await (await s.find('[data-testid="backend-url"]')).type(phoenix.url);
    await (await s.find('[data-testid="backend-add"]')).click();
    const row = await waitFor('the Phoenix backend healthy with one run', async () => {
      for (const r of await s.findAll('[data-testid="backend-row"]')) {
        const kind = await (await r.find('[data-testid="backend-kind-tag"]')).attr('data-kind');
        const health = (await (await r.find('[data-testid="health-badge"]')).text()).toLowerCase();
        const counts = await (await r.find('[data-testid="backend-counts"]')).text();
        if (kind === 'phoenix' && health.includes('healthy') && /^1 runs/.test(counts)) return r;
      }
      return null;
    });
    assert.match(await row.text(), /Arize Phoenix/);
    const rowCss = `[data-testid="backend-row"][data-backend-id="${await row.attr('data-backend-id')}"]`;

    // The run, opened from the run list: tool calls, tokens and citations from the spans.
    const calls = await openRunWithCalls(s, /support_triage/, 2);
    assert.match(await calls[0].text(), /search_kb/);
    assert.match(await calls[1].text(), /lookup_order/);
    assert.match(await (await s.find('[data-testid="run-tokens"]')).text(), /260 in · 45 out · 305 total/);
    assert.equal((await s.findAll('[data-testid="citation"]')).length, 2);

    // Phoenix goes down: the row says so, the run stays.
    await rig.kill(phoenix.proc);
    await (await s.find('[data-testid="nav-backends"]')).click();
    await waitFor(
      'the Phoenix backend to show it is failing, its run kept',
      async () => {
        const errors = await s.findAll(`${rowCss} [data-testid="backend-last-error"]`);
        const counts = await (await s.find(`${rowCss} [data-testid="backend-counts"]`)).text();
        return errors.length > 0 && /^1 runs/.test(counts);
      },
      30_000,
    );
  }),
);
