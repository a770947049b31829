// App start-up and memory benchmark, against the floor: an empty Tauri v2 window with one static
// page (benches/empty-window: same Tauri, same WebKitGTK) and the real app (embedded reference
// backend, fresh store), measured in one run, release builds, under Xvfb.
//
// Three launches a round. The empty window: time to its session and page, idle memory. The app
// on the demo as shipped (1,500 seeded runs): time to the window's session and to its first run
// rows, idle memory. Times count from before the driver starts (as before) and, what the user
// waits for, from the app's own launch (its process start, read from /proc; page marks the app
// sets give the first rows and the first list_runs answer). The app on ROWS seeded runs (COUNTERSIGN_EMBEDDED_SEED_RUNS, default
// 100,000): first rows, all synced and indexed (read from the store with the sqlite3 shell),
// idle memory; then it is used — every view opened SWITCHES times, OPENS runs opened and closed,
// the run list scrolled to its end and back a page (200 rows) at a time, waiting for the rows at
// each stop — and its idle memory read again: it should stay flat (±10 %).
// Memory is resident memory summed over the app and its WebKit processes (WebKitWebDriver left
// out), per process with the part not backed by a file ([anon N]): mapped store files (SQLite
// mmap) and shared libraries count in RSS but are page cache the kernel can drop.
//
// Last measured (2026-11-28 afternoon, release, 1 round, 100,000 rows), from each app's own
// launch: empty window first paint 477-706 ms, idle 436-453 MiB. Demo: first rows painted
// 914-1,194 ms, idle 465-471 MiB = 1.03-1.08x. 100,000 runs: first rows 7.3-9.2 s, synced and
// indexed 23-28 s, idle 509 MiB = 1.17x (609 MiB while the UI's store connection was mapped,
// 726-733 MiB before that). The use phase (views, opens, scrolling 100,000 rows) did not finish
// within 48 minutes: see the latest closing note of issue 17.
// Build (release, UI embedded), then run:
//   (cd ui && npm run build)
//   cargo build --release -p countersign-app -p countersign-empty-window \
//     --features countersign-app/custom-protocol,countersign-app/demo,countersign-empty-window/custom-protocol
//   node benches/startup.mjs [ROUNDS=3] [SWITCHES=20] [OPENS=100] [ROWS=100000]
// Needs Xvfb and tauri-driver; COUNTERSIGN_APP / COUNTERSIGN_EMPTY_WINDOW override the binaries.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : resolve(import.meta.dirname, '..', 'target');
process.env.COUNTERSIGN_APP ??= join(targetDir, 'release', 'countersign-app');
const EMPTY = process.env.COUNTERSIGN_EMPTY_WINDOW ?? join(targetDir, 'release', 'countersign-empty-window');
const { APP, Rig, waitFor } = await import('../tests/e2e/harness.mjs');

/** Pixels scrolled per step: one page of rows (200 rows of 30 px). */
const PAGE_PX = 6000;

const VIEWS = ['overview', 'runs', 'approvals', 'trust', 'golden', 'failures', 'budgets', 'backends', 'audit', 'settings'];

/** Resident memory of `pid` in KiB: all of it, and the part not backed by a file (RssAnon). */
function rssKb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { kb: field('VmRSS'), anon: field('RssAnon') };
  } catch {
    return { kb: 0, anon: 0 };
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
    return { pid, name, ...rssKb(pid) };
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
  for (const p of procs) {
    const [k, a] = byName.get(p.name) ?? [0, 0];
    byName.set(p.name, [k + p.kb, a + p.anon]);
  }
  return { kb, text: `${mib(kb)} MiB (${[...byName].map(([n, [k, a]]) => `${n} ${mib(k)} [anon ${mib(a)}]`).join(', ')})` };
}

const mib = (kb) => (kb / 1024).toFixed(0);

/** Wall-clock time (epoch ms, to the kernel's 10 ms tick) the rig's app process was started. */
function appLaunchedAt(rig) {
  const driver = rig.procs.filter((p) => p.spawnfile === 'tauri-driver').at(-1);
  const webDriver = descendants(driver.pid).find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'WebKitWebDriver');
  const app = descendants(webDriver)[0];
  const startTicks = Number(readFileSync(`/proc/${app}/stat`, 'utf8').split(') ')[1].split(' ')[19]);
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - (uptime - startTicks / 100) * 1000;
}

/**
 * What the user waits for, from the app's launch (its process start): the page starting to
 * load, its first paint, and — the app marks them (`countersign:first-rows`, and the first
 * answer of each command) — its first run rows and the first answer of `list_runs`.
 */
async function fromLaunch(rig, s) {
  const launched = appLaunchedAt(rig);
  const page = await s.execute(`return {
    origin: performance.timeOrigin,
    paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
    rows: performance.getEntriesByName('countersign:first-rows')[0]?.startTime ?? null,
    listed: performance.getEntriesByName('countersign:first:list_runs')[0]?.startTime ?? null }`);
  const at = (t) => (t === null ? null : Math.round(page.origin + t - launched));
  return { origin: at(0), paint: at(page.paint), rows: at(page.rows), listed: at(page.listed) };
}

/** Clicks a nav button and waits for its view to be shown (read-only check of the page). */
async function openView(s, v) {
  await (await s.find(`[data-testid="nav-${v}"]`)).click();
  await waitFor(`the ${v} view`, () => s.execute(
    `const b = document.querySelector('[data-testid="nav-${v}"]');
     const shown = [...document.querySelectorAll('main > *')].filter((el) => !el.matches('.error-banner, p.muted'));
     return !!b && b.classList.contains('active') && shown.length > 0;`,
  ), 20_000, 20);
}

/** Uses the app: every view `switches` times, `opens` runs opened and closed, the list scrolled.
 * Returns the rows listed and each phase's seconds. */
async function churn(s, switches, opens) {
  const secs = {};
  let t = Date.now();
  for (let i = 0; i < switches; i++) for (const v of VIEWS) await openView(s, v);
  await openView(s, 'runs');
  secs.views = (Date.now() - t) / 1000;
  t = Date.now();
  for (let i = 0; i < opens; i++) {
    await s.waitFind('[data-testid="run-row"]');
    const rows = await s.findAll('[data-testid="run-row"]');
    await rows[i % Math.min(rows.length, 15)].click();
    await s.waitFind('[data-testid="run-detail"]');
    await (await s.find('[data-testid="run-back"]')).click();
    await s.waitFind('[data-testid="runs-scroll"]');
  }
  secs.opens = (Date.now() - t) / 1000;
  t = Date.now();
  // Scroll the list to its end and back, a page of rows (PAGE_PX) at a time, waiting at each
  // stop for the rows there to be shown (every page of the list is fetched and shown once).
  // An in-page loop, polled for its end: a driver round trip a stop made this phase take most
  // of half an hour, and one request held open for it outlives fetch's 5-minute limit.
  await s.execute(`const el = document.querySelector('[data-testid="runs-scroll"]');
    const state = (window.__churnScroll = { stops: 0, listed: 0, done: false, error: null, slowest: 0 });
    // Timers, not animation frames: WebKit under Xvfb runs few frames for a window nobody sees.
    const frame = () => new Promise((r) => setTimeout(r, 16));
    const rowsInView = () => {
      const box = el.getBoundingClientRect();
      return [...document.querySelectorAll('[data-testid="run-row"]')].some((r) => {
        const b = r.getBoundingClientRect();
        return b.bottom > box.top && b.top < box.bottom;
      });
    };
    (async () => {
      for (const dir of [1, -1]) {
        for (;;) {
          const t = performance.now();
          const max = el.scrollHeight - el.clientHeight;
          el.scrollTop = Math.max(0, Math.min(max, el.scrollTop + dir * ${PAGE_PX}));
          const counted = document.querySelector('[data-testid="run-count"]');
          const complete = !!counted && counted.dataset.capped !== 'true';
          state.listed = Math.max(state.listed, Math.round(el.scrollHeight / 30));
          await frame();
          const deadline = Date.now() + 20000;
          while (!rowsInView()) {
            if (Date.now() > deadline) throw new Error('no rows in view at ' + el.scrollTop);
            await frame();
          }
          state.stops += 1;
          state.slowest = Math.max(state.slowest, performance.now() - t);
          // Down: the end once the last (short) page has loaded and the list stopped growing.
          if (dir > 0 ? el.scrollTop >= el.scrollHeight - el.clientHeight && complete : el.scrollTop <= 0) break;
        }
      }
    })().then(() => { state.done = true; }, (e) => { state.error = String(e && e.message); });`);
  const scrolled = await waitFor('the list scrolled down and up', async () => {
    const st = await s.execute('return window.__churnScroll');
    return st.done || st.error ? st : null;
  }, 3_600_000, 1000);
  if (scrolled.error) throw new Error(`scrolling failed: ${scrolled.error}`);
  const listed = scrolled.listed;
  secs.stops = scrolled.stops;
  secs.slowestStopMs = Math.round(scrolled.slowest);
  secs.scroll = (Date.now() - t) / 1000;
  return { listed, secs };
}

/** Waits until the store at `db` holds at least `n` runs, all of them indexed for search (the
 * first sync of a big history done), read with the sqlite3 shell, read-only. */
async function waitForRuns(db, n) {
  const sql = 'SELECT (SELECT count(*) FROM runs) || \' \' || (SELECT count(*) FROM fts_queue);';
  await waitFor(`${n} runs synced and indexed`, () => {
    try {
      const [runs, queued] = execFileSync('sqlite3', ['-readonly', db, sql], { encoding: 'utf8' }).trim().split(' ').map(Number);
      return runs >= n && queued === 0;
    } catch {
      return false; // busy or not created yet
    }
  }, 600_000, 500);
}

const rounds = Number(process.argv[2] ?? 3);
const switches = Number(process.argv[3] ?? 20);
const opens = Number(process.argv[4] ?? 100);
const rows = Number(process.argv[5] ?? 100_000);
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
    const l = await fromLaunch(e, s);
    floor = await idleMemory(e);
    console.log(`round ${i + 1}: empty window: window+session ${tSession} ms, page ${tPage} ms; from its launch: page ${l.origin} ms, first paint ${l.paint} ms; idle RSS ${floor.text}`);
  } finally {
    await e.stop();
  }
  // The demo as a user first meets it: fresh store, embedded backend, its seeded history.
  const demo = new Rig(`startup-${i}`);
  try {
    const t0 = Date.now();
    const { session: s } = await demo.app({ COUNTERSIGN_EMBEDDED: '1', COUNTERSIGN_EMBEDDED_TRICKLE: '0' });
    const tSession = Date.now() - t0;
    await waitFor('first run rows', async () => (await s.findAll('[data-testid="run-row"]')).length > 0, 60_000, 20);
    const tRows = Date.now() - t0;
    const l = await fromLaunch(demo, s);
    const idle = await idleMemory(demo);
    const ratio = floor ? ` = ${(idle.kb / floor.kb).toFixed(2)}x the empty window` : '';
    console.log(`round ${i + 1}: app (demo): window+session ${tSession} ms, first run rows ${tRows} ms (${tRows - tSession} ms after the session); from its launch: page ${l.origin} ms, list_runs answered ${l.listed} ms, first paint ${l.paint} ms, first run rows ${l.rows} ms; idle RSS ${idle.text}${ratio}`);
  } finally {
    await demo.stop();
  }
  // The same app over a big history: idle once synced, then used, then idle again.
  const rig = new Rig(`startup-big-${i}`);
  try {
    const t0 = Date.now();
    const { session: s, env } = await rig.app({ COUNTERSIGN_EMBEDDED: '1', COUNTERSIGN_EMBEDDED_TRICKLE: '0', COUNTERSIGN_EMBEDDED_SEED_RUNS: String(rows) });
    await waitFor('first run rows', async () => (await s.findAll('[data-testid="run-row"]')).length > 0, 600_000, 50);
    const tRows = Date.now() - t0;
    const l = await fromLaunch(rig, s);
    await waitForRuns(env.COUNTERSIGN_STORE, rows);
    const tSynced = Date.now() - t0;
    const idle = await idleMemory(rig);
    const ratio = floor ? ` = ${(idle.kb / floor.kb).toFixed(2)}x the empty window` : '';
    console.log(`round ${i + 1}: app (${rows} runs): first run rows ${tRows} ms (${l.rows} ms from its launch), all synced ${tSynced} ms, idle RSS ${idle.text}${ratio}`);
    const tc = Date.now();
    const { listed: scrolled, secs } = await churn(s, switches, opens);
    const after = await idleMemory(rig);
    const delta = ((after.kb - idle.kb) / idle.kb) * 100;
    console.log(`round ${i + 1}: app (${rows} runs) after ${switches}x every view, ${opens} runs opened, ${scrolled} rows scrolled down and up (${((Date.now() - tc) / 1000).toFixed(0)} s: views ${secs.views} s, opens ${secs.opens} s, scroll ${secs.scroll} s over ${secs.stops} stops, slowest ${secs.slowestStopMs} ms): idle RSS ${after.text}, ${delta >= 0 ? '+' : ''}${delta.toFixed(1)} %`);
  } finally {
    await rig.stop();
  }
}
