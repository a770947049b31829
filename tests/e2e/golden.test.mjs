// End-to-end: golden sets in the real app against the real reference backend. Runs are added to
// their workflow's golden set from the run list (ticked, two at once) and from a run's page; the set is replayed under the recorded
// configuration (it passes) and under model `legacy-kb-1`, which cites the deprecated EU refund
// policy at three times the cost (it fails on exactly the cases that cited the current policy);
// a failing case opens beside its baseline with the checks it failed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRig, waitFor, backendGet, addBackendInApp } from './harness.mjs';

const WF = 'refund_request';
const CURRENT = 'kb_101';
const DEPRECATED = 'kb_100';
const DAY_MS = 86_400_000;

/** Micro-dollars as the core's `Micros` Display writes them (written here independently). */
function rustMicros(m) {
  const sign = m < 0 ? '-' : '';
  const abs = Math.abs(m);
  let frac = String(abs % 1_000_000).padStart(6, '0');
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
  return `${sign}$${Math.floor(abs / 1_000_000)}.${frac}`;
}

/** A finished run whose every citation is current (neither deprecated nor a year old). */
function cleanCitations(run) {
  return run.citations.every((c) => !c.deprecated && (!c.source_updated_at || Date.now() - Date.parse(c.source_updated_at) < 365 * DAY_MS));
}

/** Two refund runs that cited the current policy, and one that cited no such thing. */
function pickCases(runs) {
  const done = runs.filter((r) => r.workflow === WF && r.outcome === 'success' && cleanCitations(r));
  const hits = done.filter((r) => r.citations.some((c) => c.doc_id === CURRENT)).slice(0, 2);
  const control = done.find((r) => r.citations.length > 0 && r.citations.every((c) => c.doc_id !== CURRENT));
  assert.equal(hits.length, 2, `the seed has two successful ${WF} runs citing ${CURRENT}`);
  assert.ok(control, `the seed has a successful ${WF} run citing another source`);
  return { hits, control };
}

/**
 * Clicks `button` until `done` finds what the click leads to. Under load WebKitWebDriver may
 * report a click done that the page never saw (see `choose` in webdriver.mjs); a click is
 * repeated only while the button is still there and enabled, and the buttons clicked here are
 * disabled (or gone) from the moment their click is seen, so nothing is done twice.
 */
async function clickUntil(s, what, css, done) {
  return waitFor(what, async () => {
    const found = await done();
    if (found) return found;
    const b = await s.findAll(css);
    if (b.length > 0 && (await s.cmd('GET', `/element/${b[0].id}/enabled`))) await b[0].click();
    return done();
  }, 30_000, 1_000);
}

const first = async (s, css) => (await s.findAll(css))[0] ?? null;

/** Opens `runId` from the run list and adds it to its golden set; resolves to the version named. */
async function addFromRunPage(s, runId) {
  await (await s.find('[data-testid="nav-runs"]')).click();
  const row = await s.waitFind(`[data-testid="run-row"][data-run-id="${runId}"]`, 30_000);
  await row.click();
  await s.waitFind('[data-testid="run-detail"]');
  await s.waitFind('[data-testid="run-add-golden"]');
  const added = await clickUntil(s, 'the run added', '[data-testid="run-add-golden"]', () => first(s, '[data-testid="run-added-golden"]'));
  const m = new RegExp(`${WF} v(\\d+)`).exec(await added.text());
  assert.ok(m, `the run page names the set and version it went into: ${await added.text()}`);
  return Number(m[1]);
}

/** Ticks `runIds` in the run list and adds them in one go; resolves to the version named. */
async function addFromRunList(s, runIds) {
  await (await s.find('[data-testid="nav-runs"]')).click();
  for (const id of runIds) {
    const box = await s.waitFind(`[data-testid="run-row"][data-run-id="${id}"] [data-testid="run-select"]`, 30_000);
    await waitFor(`${id} ticked`, async () => {
      if (await s.cmd('GET', `/element/${box.id}/selected`)) return true;
      await box.click();
      return s.cmd('GET', `/element/${box.id}/selected`);
    }, 20_000, 250);
  }
  // Ticking never opens the run.
  assert.equal((await s.findAll('[data-testid="run-detail"]')).length, 0);
  const bar = await s.find('[data-testid="run-selection"]');
  assert.equal(await bar.attr('data-count'), String(runIds.length));
  const added = await clickUntil(s, 'the runs added', '[data-testid="runs-add-golden"]', () => first(s, '[data-testid="runs-added-golden"]'));
  const m = new RegExp(`${WF} v(\\d+)`).exec(await added.text());
  assert.ok(m, `the list names the set and version they went into: ${await added.text()}`);
  return Number(m[1]);
}

/** Starts an eval from the golden view and resolves to its id once its report is shown. */
async function runEval(s, { version, model, baseline = null }) {
  const before = new Set(await Promise.all((await s.findAll('[data-testid="golden-eval"]')).map((e) => e.attr('data-eval-id'))));
  await (await s.find('[data-testid="golden-eval-version"]')).replaceText(version);
  await (await s.find('[data-testid="golden-eval-model"]')).replaceText(model);
  if (baseline) await (await s.find('[data-testid="golden-eval-baseline"]')).choose(baseline);
  const start = await s.find('[data-testid="golden-eval-start"]');
  await waitFor('Run eval to be enabled', () => s.cmd('GET', `/element/${start.id}/enabled`));
  await start.click();
  const id = await waitFor('the new eval in the list', async () => {
    for (const e of await s.findAll('[data-testid="golden-eval"]')) {
      const eid = await e.attr('data-eval-id');
      if (!before.has(eid)) return eid;
    }
    return null;
  }, 60_000);
  await s.waitFind(`[data-testid="golden-report"][data-eval-id="${id}"]`, 30_000);
  return id;
}

/** Case id → passed, as the open report shows it. */
async function caseVerdicts(s, evalId) {
  const out = {};
  for (const row of await s.findAll(`[data-testid="golden-report"][data-eval-id="${evalId}"] [data-testid="golden-report-case"]`)) {
    out[await row.attr('data-case-id')] = (await row.attr('data-passed')) === 'true';
  }
  return out;
}

test('a golden set replayed under a model citing a deprecated source fails on exactly those cases, shown beside the baseline', { timeout: 300_000 }, withRig('golden-eval', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '150', '--trickle', '0', '--seed', '16']);
  // The backend's own runs, read independently over HTTP.
  const page = await backendGet(backend, '/v1/runs?limit=1000');
  const { hits, control } = pickCases(page.items);
  const chosen = [...hits, control];

  const { session: s } = await rig.app();
  await addBackendInApp(s, backend);
  await waitFor('the backend to report healthy', async () => {
    for (const b of await s.findAll('[data-testid="health-badge"]')) if ((await b.text()).toLowerCase().includes('healthy')) return true;
    return false;
  });

  // Two runs ticked in the run list make one version; the third, added from its page, the next.
  const versions = [await addFromRunList(s, hits.map((r) => r.run_id)), await addFromRunPage(s, control.run_id)];
  assert.deepEqual(versions, [1, 2]);

  await (await s.find('[data-testid="nav-golden"]')).click();
  const setButton = await s.waitFind(`[data-testid="golden-set"][data-workflow="${WF}"]`);
  assert.match(await setButton.text(), /v2 · 3 cases/);
  await setButton.click();
  const caseIds = await waitFor('the three cases', async () => {
    const rows = await s.findAll('[data-testid="golden-case"]');
    return rows.length === 3 ? Promise.all(rows.map((r) => r.attr('data-case-id'))) : null;
  });
  assert.deepEqual([...caseIds].sort(), chosen.map((r) => r.run_id).sort());

  // The recorded configuration replays as recorded: every case passes.
  const baseline = await runEval(s, { version: hits[0].workflow_version, model: hits[0].model });
  const report1 = await s.find(`[data-testid="golden-report"][data-eval-id="${baseline}"]`);
  assert.equal(await report1.attr('data-passed'), 'true', await report1.text());
  assert.deepEqual(await caseVerdicts(s, baseline), Object.fromEntries(chosen.map((r) => [r.run_id, true])));

  // The legacy model, against that baseline: fails on exactly the cases citing the current policy.
  const legacy = await runEval(s, { version: hits[0].workflow_version, model: 'legacy-kb-1', baseline });
  const report2 = await s.find(`[data-testid="golden-report"][data-eval-id="${legacy}"]`);
  assert.equal(await report2.attr('data-passed'), 'false');
  assert.deepEqual(await caseVerdicts(s, legacy), {
    [hits[0].run_id]: false,
    [hits[1].run_id]: false,
    [control.run_id]: true,
  });
  const row = await s.find(`[data-testid="golden-eval"][data-eval-id="${legacy}"]`);
  assert.equal(await row.attr('data-passed'), 'false');

  // The failing case beside its baseline: the current policy there, the deprecated one here,
  // and the checks it failed — computed here from the recorded run.
  const failing = hits[0];
  await (await s.find(`[data-testid="golden-report-case"][data-case-id="${failing.run_id}"] [data-testid="golden-open-case"]`)).click();
  const side = `[data-testid="golden-side-by-side"][data-case-id="${failing.run_id}"]`;
  await s.waitFind(`${side} [data-testid="side-eval"] [data-testid="side-citation"]`);
  const baseCites = await s.findAll(`${side} [data-testid="side-baseline"] [data-testid="side-citation"]`);
  const evalCites = await s.findAll(`${side} [data-testid="side-eval"] [data-testid="side-citation"]`);
  const current = failing.citations.filter((c) => c.doc_id === CURRENT).length;
  assert.equal(baseCites.length, failing.citations.length);
  assert.equal(evalCites.length, failing.citations.length);
  for (const c of baseCites) {
    assert.equal(await c.attr('data-deprecated'), 'false');
    assert.match(await c.text(), new RegExp(CURRENT));
  }
  for (const c of evalCites) {
    assert.equal(await c.attr('data-deprecated'), 'true');
    assert.match(await c.text(), new RegExp(`${DEPRECATED}[\\s\\S]*deprecated`));
  }
  const checks = await Promise.all((await s.findAll(`${side} [data-testid="side-failing-check"]`)).map((c) => c.text()));
  const ceiling = Math.ceil(failing.cost_micros * 1.5);
  const expected = [
    ...Array(current).fill(`citation missing of ${CURRENT}: `),
    ...Array(current).fill(`citation deprecated of ${DEPRECATED}: `),
    `cost ${rustMicros(failing.cost_micros * 3)} over the ceiling ${rustMicros(ceiling)}`,
  ];
  assert.equal(checks.length, expected.length, `failing checks shown: ${JSON.stringify(checks)}`);
  expected.forEach((want, i) => assert.ok(checks[i].startsWith(want), `check ${i + 1}: ${checks[i]} (expected ${want}…)`));
  assert.equal(await (await s.find(`${side} [data-testid="side-failing-checks"]`)).attr('data-count'), String(expected.length));
  await rig.screenshot('golden-side-by-side');

  // The case that cited another source passes every check, beside its baseline too.
  await (await s.find(`[data-testid="golden-report-case"][data-case-id="${control.run_id}"] [data-testid="golden-open-case"]`)).click();
  const ok = await s.waitFind(`[data-testid="golden-side-by-side"][data-case-id="${control.run_id}"] [data-testid="side-failing-checks"]`);
  assert.equal(await ok.attr('data-count'), '0');
}));
