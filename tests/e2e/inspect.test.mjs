// End-to-end run inspection in the real app: search by a phrase inside a tool result, a
// citation opens with its exact span highlighted, a deprecated source shows its warning, and
// the hostile corpus served by the reference backend executes nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRig, waitFor, backendGet, addBackendInApp } from './harness.mjs';

async function addBackend(s, backend) {
  await addBackendInApp(s, backend);
  await waitFor('a healthy backend', async () => {
    for (const b of await s.findAll('[data-testid="health-badge"]')) if ((await b.text()).toLowerCase().includes('healthy')) return true;
    return false;
  });
  await (await s.find('[data-testid="nav-runs"]')).click();
}

async function allRuns(backend) {
  const page = await backendGet(backend, '/v1/runs?limit=1000');
  return page.items.filter((r) => r && typeof r === 'object' && typeof r.run_id === 'string');
}

function leaves(v, out = []) {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => leaves(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => leaves(x, out));
  return out;
}

async function openRun(s, runId) {
  const row = await waitFor(`row ${runId}`, async () => (await s.findAll(`[data-testid="run-row"][data-run-id="${runId}"]`))[0]);
  await row.click();
  return s.waitFind('[data-testid="run-detail"]');
}

test('search finds a run by a phrase inside a tool result', withRig('search-tool-result', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '60', '--trickle', '0', '--seed', '3']);
  const runs = await allRuns(backend);
  // A tool-result string that appears in exactly one run.
  const counts = new Map();
  for (const r of runs) for (const t of new Set(r.tool_calls.flatMap((c) => leaves(c.result)))) counts.set(t, (counts.get(t) ?? 0) + 1);
  const target = runs.find((r) => r.tool_calls.some((c) => leaves(c.result).some((t) => counts.get(t) === 1 && t.split(/\s+/).length >= 2)));
  assert.ok(target, 'a run with a distinctive tool result');
  const phrase = target.tool_calls.flatMap((c) => leaves(c.result)).find((t) => counts.get(t) === 1 && t.split(/\s+/).length >= 2);
  const words = phrase.split(/[^\p{L}\p{N}_]+/u).filter(Boolean).slice(0, 6).join(' ');

  const { session: s } = await rig.app();
  await addBackend(s, backend);
  await waitFor('runs listed', async () => (await s.findAll('[data-testid="run-row"]')).length >= 10);
  const search = await s.find('[data-testid="search-input"]');
  await search.type(words);
  // The list follows the input as it is typed: an early answer (for the first words only)
  // can already hold the target, so wait for the answer to the whole phrase.
  const wordsLower = words.toLowerCase().split(' ');
  const matchesAll = (id) => {
    const run = runs.find((r) => r.run_id === id);
    const text = JSON.stringify(run ?? {}).toLowerCase();
    return wordsLower.every((w) => text.includes(w));
  };
  const rows = await waitFor('only matching runs', async () => {
    const r = await s.findAll('[data-testid="run-row"]');
    const ids = await Promise.all(r.map((x) => x.attr('data-run-id')));
    return ids.includes(target.run_id) && ids.length < runs.length && ids.every(matchesAll) ? ids : null;
  });
  for (const id of rows) {
    const run = runs.find((r) => r.run_id === id);
    const text = JSON.stringify(run).toLowerCase();
    for (const w of words.toLowerCase().split(' ')) assert.ok(text.includes(w), `${id} contains ${w}`);
  }
  await rig.screenshot('search');
}));

test('a citation shows its exact passage highlighted and a deprecated source is flagged', withRig('citation-span', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '40', '--trickle', '0', '--seed', '5']);
  const runs = await allRuns(backend);
  const target = runs.find((r) => r.citations.some((c) => c.deprecated) && r.citations.some((c) => !c.deprecated));
  assert.ok(target, 'a run citing a deprecated and a current source');
  const { session: s } = await rig.app();
  await addBackend(s, backend);
  await openRun(s, target.run_id);
  const marks = await waitFor('highlighted passages', async () => {
    const m = await s.findAll('[data-testid="citation-passage"]');
    return m.length >= target.citations.length ? m : null;
  });
  const texts = await Promise.all(marks.map((m) => m.text()));
  for (const c of target.citations) assert.ok(texts.includes(c.passage), `passage of ${c.doc_id} highlighted exactly`);
  const warnings = await s.findAll('[data-testid="citation-warning"]');
  assert.ok(warnings.length >= target.citations.filter((c) => c.deprecated).length, 'deprecated source warned');
  assert.match((await warnings[0].text()).toLowerCase(), /deprecated|stale/);
  await rig.screenshot('citations');
}));

test('the hostile corpus renders as text and executes nothing', withRig('hostile-corpus', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '120', '--trickle', '0', '--seed', '9', '--hostile']);
  const runs = await allRuns(backend);
  const hostile = runs.filter((r) => /<script|onerror|javascript:|\u202e/i.test(JSON.stringify(r)));
  assert.ok(hostile.length > 0, 'backend serves hostile runs');
  const { session: s } = await rig.app();
  await addBackend(s, backend);
  const baseline = await s.execute('return document.scripts.length');
  for (const r of hostile.slice(0, 4)) {
    await openRun(s, r.run_id);
    // Wait until this run's detail has rendered (its id and its tool calls are on screen).
    await waitFor(`detail of ${r.run_id}`, async () => {
      const text = await s.execute('return document.body.innerText');
      return text.includes(r.run_id) && r.tool_calls.every((c) => text.includes(c.tool));
    });
    const state = await s.execute(`return {
      scripts: document.scripts.length,
      badLinks: [...document.querySelectorAll('a[href]')].filter(a => !/^https?:/i.test(a.getAttribute('href'))).length,
      iframes: document.querySelectorAll('iframe,object,embed').length,
      handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
      pwned: typeof window.__pwned !== 'undefined',
      text: document.body.innerText,
    }`);
    assert.equal(state.scripts, baseline, 'no script element injected');
    assert.equal(state.badLinks, 0, 'no non-http link');
    assert.equal(state.iframes, 0);
    assert.equal(state.handlers, 0, 'no inline event handler attributes');
    assert.equal(state.pwned, false);
    for (const marker of ['<img src=x onerror=alert(1)>', '<script>alert(1)</script>']) {
      if (leaves(r).some((t) => t.includes(marker)) && leaves(r.tool_calls.map((c) => c.arguments)).some((t) => t.includes(marker))) {
        assert.ok(state.text.includes(marker), `markup ${marker} shown as text`);
      }
    }
    if (JSON.stringify(r).includes('\u202e')) assert.ok(state.text.includes('U+202E'), 'bidi override made visible');
    await (await s.find('[data-testid="run-back"]')).click();
  }
  // The malformed records were quarantined with their reason, visible in the app.
  await (await s.find('[data-testid="nav-backends"]')).click();
  await waitFor('quarantined records listed', async () => (await s.findAll('[data-testid="quarantine-row"]')).length > 0);
  await rig.screenshot('quarantine');
}));
