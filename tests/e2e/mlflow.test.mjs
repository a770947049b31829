// End-to-end: a real MLflow tracking server (SQLite store) holds agent traces written by
// MLflow's own tracing SDK; the user adds it in the Backends view (kind MLflow tracing, one
// experiment), sees it healthy with its runs, and a trace opens as a run with its tool calls,
// tokens and citation. Then MLflow goes down and the row says so, runs kept.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { handOffPort, waitFor, withRig, openRunWithCalls } from './harness.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const VENV = join(process.env.COUNTERSIGN_VENV_DIR ?? '/var/tmp/countersign-venvs', 'mlflow');
const WRITER = join(root, 'src-tauri', 'crates', 'tracestore', 'tests', 'support', 'mlflow_traces.py');

/** Starts `mlflow server` on SQLite in a temp dir, on a free loopback port (own process group). */
async function startMlflow(rig) {
  assert.ok(existsSync(join(VENV, 'bin', 'mlflow')), `${VENV} is missing: create it with scripts/venv-mlflow.sh`);
  const dir = rig.tempDir('mlflow');
  const port = await handOffPort();
  const args = ['server', '--backend-store-uri', `sqlite:///${join(dir, 'mlflow.db')}`, '--default-artifact-root', join(dir, 'artifacts')];
  const p = rig.spawn(join(VENV, 'bin', 'mlflow'), [...args, '--host', '127.0.0.1', '--port', String(port), '--workers', '1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: dir,
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `MLflow to answer on ${url}`,
    async () => {
      if (p.exitCode !== null) throw new Error(`mlflow exited ${p.exitCode}: ${p.stderrText}`);
      try {
        return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok;
      } catch {
        return false;
      }
    },
    180_000,
  );
  return { url, proc: p };
}

/** Writes `count` agent traces into `experiment` with MLflow's tracing SDK; resolves to their ids. */
function writeTraces(url, experiment, count) {
  return new Promise((ok, fail) => {
    const p = spawn(join(VENV, 'bin', 'python'), [WRITER, url, experiment, String(count), '--fail-every', '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (c) => (c === 0 ? ok(JSON.parse(out.trim().split('\n').at(-1)).traces) : fail(new Error(`writer exited ${c}: ${err}`))));
  });
}

test(
  'an MLflow server added in the app syncs its traces into runs with their tool calls, and its health is shown',
  withRig('mlflow-backend', async (rig) => {
    const mlflow = await startMlflow(rig);
    const traces = await writeTraces(mlflow.url, 'refunds', 3);
    assert.equal(traces.length, 3);

    const { session: s } = await rig.app();
    await (await s.waitFind('[data-testid="nav-backends"]')).click();
    await (await s.waitFind('[data-testid="backend-kind"]')).choose('mlflow');
    await (await s.waitFind('[data-testid="backend-experiment"]')).type('refunds');
    await (await s.find('[data-testid="backend-name"]')).type('Traces (MLflow)');
    await (await s.find('[data-testid="backend-url"]')).type(mlflow.url);
    await (await s.find('[data-testid="backend-add"]')).click();
    const row = await waitFor('the MLflow backend healthy with three runs', async () => {
      for (const r of await s.findAll('[data-testid="backend-row"]')) {
        const kind = await (await r.find('[data-testid="backend-kind-tag"]')).attr('data-kind');
        const health = (await (await r.find('[data-testid="health-badge"]')).text()).toLowerCase();
        const counts = await (await r.find('[data-testid="backend-counts"]')).text();
        if (kind === 'mlflow' && health.includes('healthy') && /^3 runs/.test(counts)) return r;
      }
      return null;
    });
    assert.match(await row.text(), /MLflow tracing/);
    assert.match(await (await row.find('[data-testid="backend-experiment-shown"]')).text(), /refunds/);
    const rowCss = `[data-testid="backend-row"][data-backend-id="${await row.attr('data-backend-id')}"]`;

    // A run, opened from the run list: tool calls, tokens and the citation from the spans.
    const calls = await openRunWithCalls(s, /refund_agent/, 2);
    assert.match(await calls[0].text(), /search_kb/);
    assert.match(await calls[1].text(), /lookup_order/);
    assert.match(await (await s.find('[data-testid="run-tokens"]')).text(), /26\d in · 45 out · 3\d\d total/);
    assert.equal((await s.findAll('[data-testid="citation"]')).length, 1);

    // MLflow goes down: the row says so, the runs stay.
    await rig.kill(mlflow.proc);
    await (await s.find('[data-testid="nav-backends"]')).click();
    await waitFor(
      'the MLflow backend to show it is failing, its runs kept',
      async () => {
        const errors = await s.findAll(`${rowCss} [data-testid="backend-last-error"]`);
        const counts = await (await s.find(`${rowCss} [data-testid="backend-counts"]`)).text();
        return errors.length > 0 && /^3 runs/.test(counts);
      },
      30_000,
    );
  }),
);
