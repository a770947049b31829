// App start-up and memory benchmark, against the floor: an empty Tauri v2 window with one static
// page (benches/empty-window: same Tauri, same WebKitGTK) and the real app (embedded reference
// backend, seeded demo, fresh store), measured in one run, release builds, under Xvfb.
//
// For each: time from launch to the window's session and to its first content (the empty page;
// the app's first run rows), and resident memory when idle, summed over the app and its WebKit
// processes (WebKitWebDriver left out). Then the app is used — every view opened SWITCHES times,
// OPENS runs opened and closed, the run list scrolled to its end and back — and its idle memory
// read again: it should stay flat (±10 %).
//
// Build (release, UI embedded), then run:
//   (cd ui && npm run build)
//   cargo build --release -p countersign-app -p countersign-empty-window \
//     --features countersign-app/custom-protocol,countersign-app/demo,countersign-empty-window/custom-protocol
//   node benches/startup.mjs [ROUNDS] [SWITCHES] [OPENS]
// Needs Xvfb and tauri-driver; COUNTERSIGN_APP / COUNTERSIGN_EMPTY_WINDOW override the binaries.

import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : resolve(import.meta.dirname, '..', 'target');
process.env.COUNTERSIGN_APP ??= join(targetDir, 'release', 'countersign-app');
const EMPTY = process.env.COUNTERSIGN_EMPTY_WINDOW ?? join(targetDir, 'release', 'countersign-empty-window');
const { APP, Rig, waitFor } = await import('../tests/e2e/harness.mjs');

const VIEWS = ['overview', 'runs', 'approvals', 'trust', 'failures', 'budgets', 'backends', 'audit', 'settings'];

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function descendants(root) {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {
      // process gone
    }
  }
  const out = [];
  const walk = (p) => (kids.get(p) ?? []).forEach((c) => { out.push(c); walk(c); });
  walk(root);
  return out;
}

/** Resident memory of everything the rig's tauri-driver started, once steady (three readings 0.5 s apart within 1 %). */
async function idleMemory(rig) {
  const driver = rig.procs.filter((p) => p.spawnfile === 'tauri-driver').at(-1);
  const sample = () => descendants(driver.pid).map((pid) => {
    let name = '?';
    try { name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { /* gone */ }
    return { pid, name, kb: rssKb(pid) };
  }).filter((p) => p.name !== 'WebKitWebDriver');
  const totals = [];
  const procs = await waitFor('memory to settle', () => {
    const now = sample();
    totals.push(now.reduce((a, p) => a + p.kb, 0));
    const last = totals.slice(-3);
    return last.length === 3 && Math.max(...last) - Math.min(...last) <= Math.max(...last) / 100 ? now : null;
  }, 90_000, 500);
  const kb = procs.reduce((a, p) => a + p.kb, 0);
  const byName = new Map();
  for (const p of procs) byName.set(p.name, (byName.get(p.name) ?? 0) + p.kb);
  return { kb, text: `${mib(kb)} MiB (${[...byName].map(([n, k]) => `${n} ${mib(k)}`).join(', ')})` };
}

const mib = (kb) => (kb / 1024).toFixed(0);

/** Clicks a nav button and waits for its view to be shown (read-only check of the page). */
async function openView(s, v) {
  await (await s.find(`[data-testid="nav-${v}"]`)).click();
  await waitFor(`the ${v} view`, () => s.execute(
    `const b = document.querySelector('[data-testid="nav-${v}"]');
     const shown = [...document.querySelectorAll('main > *')].filter((el) => !el.matches('.error-banner, p.muted'));
     return !!b && b.classList.contains('active') && shown.length > 0;`,
  ), 20_000, 20);
}

/** Uses the app: every view `switches` times, `opens` runs opened and closed, the list scrolled. */
async function churn(s, switches, opens) {
  for (let i = 0; i < switches; i++) for (const v of VIEWS) await openView(s, v);
  await openView(s, 'runs');
  for (let i = 0; i < opens; i++) {
    await s.waitFind('[data-testid="run-row"]');
    const rows = await s.findAll('[data-testid="run-row"]');
    await rows[i % Math.min(rows.length, 15)].click();
    await s.waitFind('[data-testid="run-detail"]');
    await (await s.find('[data-testid="run-back"]')).click();
    await s.waitFind('[data-testid="runs-scroll"]');
  }
  // Scroll the list to its end and back, a screen at a time, letting pages load.
  const height = await s.execute('const el = document.querySelector(\'[data-testid="runs-scroll"]\'); return el.scrollHeight;');
  for (const dir of [1, -1]) {
    for (let step = 0; step * 600 <= height; step++) {
      const top = dir > 0 ? step * 600 : height - step * 600;
      await s.execute(`document.querySelector('[data-testid="runs-scroll"]').scrollTop = ${top};`);
      await waitFor('rows in view', async () => (await s.findAll('[data-testid="run-row"]')).length > 0, 10_000, 20);
    }
  }
}

const rounds = Number(process.argv[2] ?? 3);
const switches = Number(process.argv[3] ?? 20);
const opens = Number(process.argv[4] ?? 100);
console.log(`app ${APP}\nempty window ${EMPTY}`);
for (let i = 0; i < rounds; i++) {
  let floor = null;
  const e = new Rig(`startup-empty-${i}`);
  try {
    const t0 = Date.now();
    const { session: s } = await e.app({}, { application: EMPTY });
    const tSession = Date.now() - t0;
    await s.waitFind('[data-testid="empty-ready"]', 20_000);
    const tPage = Date.now() - t0;
    floor = await idleMemory(e);
    console.log(`round ${i + 1}: empty window: window+session ${tSession} ms, page ${tPage} ms, idle RSS ${floor.text}`);
  } finally {
    await e.stop();
  }
  const rig = new Rig(`startup-${i}`);
  try {
    const t0 = Date.now();
    const { session: s } = await rig.app({ COUNTERSIGN_EMBEDDED: '1', COUNTERSIGN_EMBEDDED_TRICKLE: '0' });
    const tSession = Date.now() - t0;
    await waitFor('first run rows', async () => (await s.findAll('[data-testid="run-row"]')).length > 0, 60_000, 20);
    const tRows = Date.now() - t0;
    const idle = await idleMemory(rig);
    const ratio = floor ? ` = ${(idle.kb / floor.kb).toFixed(2)}x the empty window` : '';
    console.log(`round ${i + 1}: app: window+session ${tSession} ms, first run rows ${tRows} ms (${tRows - tSession} ms after the session), idle RSS ${idle.text}${ratio}`);
    const tc = Date.now();
    await churn(s, switches, opens);
    const after = await idleMemory(rig);
    const delta = ((after.kb - idle.kb) / idle.kb) * 100;
    console.log(`round ${i + 1}: app after ${switches}x every view, ${opens} runs opened, list scrolled (${((Date.now() - tc) / 1000).toFixed(0)} s): idle RSS ${after.text}, ${delta >= 0 ? '+' : ''}${delta.toFixed(1)} %`);
  } finally {
    await rig.stop();
  }
}
