// App start-up benchmark: time from launching the real app (embedded reference backend,
// seeded data, fresh store) to the first run rows painted, and resident memory when idle.
// Run after building: `node benches/startup.mjs [ROUNDS]` (needs Xvfb, tauri-driver, built app).

import { readFileSync, readdirSync } from 'node:fs';
import { Rig, waitFor } from '../tests/e2e/harness.mjs';

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

const rounds = Number(process.argv[2] ?? 3);
for (let i = 0; i < rounds; i++) {
  const rig = new Rig(`startup-${i}`);
  try {
    const t0 = Date.now();
    const { session: s } = await rig.app({ COUNTERSIGN_EMBEDDED: '1', COUNTERSIGN_EMBEDDED_TRICKLE: '0' });
    const tSession = Date.now() - t0;
    await waitFor('first run rows', async () => (await s.findAll('[data-testid="run-row"]')).length > 0, 60_000, 20);
    const tRows = Date.now() - t0;
    const driver = rig.procs.find((p) => p.spawnfile === 'tauri-driver');
    const sample = () => descendants(driver.pid).map((pid) => {
      let name = '?';
      try { name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { /* gone */ }
      return { pid, name, kb: rssKb(pid) };
    }).filter((p) => p.name !== 'WebKitWebDriver');
    // Idle = resident memory steady (three readings 0.5 s apart within 1 %).
    const totals = [];
    const procs = await waitFor('memory to settle', () => {
      const now = sample();
      totals.push(now.reduce((a, p) => a + p.kb, 0));
      const last = totals.slice(-3);
      return last.length === 3 && Math.max(...last) - Math.min(...last) <= Math.max(...last) / 100 ? now : null;
    }, 60_000, 500);
    const total = procs.reduce((a, p) => a + p.kb, 0);
    console.log(`round ${i + 1}: window+session ${tSession} ms, first run rows ${tRows} ms, idle RSS ${(total / 1024).toFixed(0)} MiB (${procs.map((p) => `${p.name} ${(p.kb / 1024).toFixed(0)}`).join(', ')})`);
  } finally {
    await rig.stop();
  }
}
