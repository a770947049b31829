// End-to-end harness: a real reference backend (the `countersign` CLI), a real X server
// (Xvfb), tauri-driver + WebKitWebDriver, and the real built app. Each test gets its own
// processes and temp folders and stops them by process id (process group) when done.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KEY, Session, waitFor } from './webdriver.mjs';

export { KEY, waitFor };

const root = resolve(import.meta.dirname, '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target');
export const APP = process.env.COUNTERSIGN_APP ?? join(targetDir, 'debug', 'countersign-app');
export const CLI = process.env.COUNTERSIGN_CLI ?? join(targetDir, 'debug', 'countersign');
export const ARTIFACTS = join(root, 'artifacts', 'e2e');

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
    srv.on('error', fail);
  });
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
function canBind(port) {
  return new Promise((ok) => {
    const srv = createServer();
    srv.once('error', () => ok(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => ok(true)));
  });
}

/**
 * A free port for a server a test hands a port number to (tauri-driver, WebKitWebDriver,
 * `langgraph dev`, MLflow, Phoenix),
 * picked below Linux's ephemeral range (32768–60999): a port from `listen(0)` is released before
 * the driver binds it, and any outgoing connection may take an ephemeral port in between. Ports
 * in 20000–32767 are only ever taken by an explicit bind, so the window is all but closed; `app`
 * still retries if a driver reports it could not listen.
 */
export async function handOffPort() {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (await canBind(port)) return port;
  }
  return freePort();
}

/** A driver's words when the port it was handed was taken in between. */
const BIND_FAILURE = /Unable to listen|Address already in use|address in use/i;

/** Tracks what a test started, so `stop` ends all of it by process group id. */
export class Rig {
  constructor(name) {
    this.name = name;
    this.procs = [];
    this.dirs = [];
  }

  tempDir(label) {
    const d = mkdtempSync(join(tmpdir(), `countersign-e2e-${label}-`));
    this.dirs.push(d);
    return d;
  }

  spawn(cmd, args, opts = {}) {
    const p = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.procs.push(p);
    p.stderrText = '';
    p.stderr?.on('data', (d) => {
      p.stderrText = (p.stderrText + d).slice(-20_000);
    });
    return p;
  }

  /** Starts Xvfb on a free display (it tells us which through -displayfd). */
  async xvfb() {
    if (process.env.DISPLAY && process.env.COUNTERSIGN_E2E_OWN_X !== '1') return process.env.DISPLAY;
    const p = this.spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const display = await new Promise((ok, fail) => {
      p.stdio[3].on('data', (d) => {
        out += d;
        if (out.includes('\n')) ok(`:${out.trim()}`);
      });
      p.on('exit', (c) => fail(new Error(`Xvfb exited ${c}: ${p.stderrText}`)));
    });
    return display;
  }

  /**
   * Starts the reference backend through the CLI; resolves to {url, token, data, proc}. Pass
   * `data` and `listen` to restart one on the same folder and address.
   */
  async backend(extraArgs = [], { data = this.tempDir('backend'), listen = '127.0.0.1:0' } = {}) {
    const p = this.spawn(CLI, ['backend', 'serve', '--listen', listen, '--data', data, ...extraArgs]);
    let out = '';
    const info = await new Promise((ok, fail) => {
      p.stdout.on('data', (d) => {
        out += d;
        const url = /^url: (\S+)$/m.exec(out);
        const token = /^token: (\S+)$/m.exec(out);
        if (url && token) ok({ url: url[1], token: token[1], data, proc: p });
      });
      p.on('exit', (c) => fail(new Error(`backend exited ${c}: ${p.stderrText}`)));
    });
    return info;
  }

  /**
   * Starts tauri-driver with the app's environment and opens a WebDriver session on the app
   * (or on another Tauri binary, `application`). A driver that could not bind the ports it was
   * handed (taken by another process between the check and its bind) is stopped and started
   * again on fresh ports, up to three times; any other failure fails at once.
   */
  async app(env = {}, { application = APP } = {}) {
    const display = await this.xvfb();
    const appData = this.tempDir('app');
    const fullEnv = {
      ...process.env,
      DISPLAY: display,
      COUNTERSIGN_STORE: join(appData, 'countersign.db'),
      COUNTERSIGN_SECRET_STORE: 'file',
      COUNTERSIGN_EMBEDDED: '0',
      COUNTERSIGN_SYNC_INTERVAL_MS: '500',
      XDG_DATA_HOME: join(appData, 'xdg-data'),
      XDG_CONFIG_HOME: join(appData, 'xdg-config'),
      XDG_CACHE_HOME: join(appData, 'xdg-cache'),
      ...env,
    };
    for (let attempt = 1; ; attempt++) {
      const port = await handOffPort();
      let nativePort = await handOffPort();
      while (nativePort === port) nativePort = await handOffPort();
      const driver = this.spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], { env: fullEnv });
      const base = `http://127.0.0.1:${port}`;
      try {
        await waitFor('tauri-driver', async () => (await fetch(`${base}/status`, { signal: AbortSignal.timeout(1000) })).ok, 20_000);
        this.session = await Session.create(base, { browserName: 'wry', 'tauri:options': { application } });
        return { session: this.session, appData, env: fullEnv };
      } catch (e) {
        const portTaken = BIND_FAILURE.test(driver.stderrText);
        await this.kill(driver);
        if (!portTaken || attempt >= 3) throw new Error(`${e.message}\n${driver.stderrText}`);
        console.error(`tauri-driver attempt ${attempt}: a port was taken in between; retrying on fresh ports`);
      }
    }
  }

  /** Kills a process this rig started (and its process group) and waits for it to exit. */
  async kill(p, signal = 'SIGKILL') {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    try {
      process.kill(-p.pid, signal);
    } catch {
      // already gone
    }
    await exited;
  }

  /** Kills the running app hard (its driver's whole process group), as a crash would. */
  async crashApp() {
    const driver = this.procs.filter((p) => p.spawnfile === 'tauri-driver').at(-1);
    this.session = null;
    if (driver) await this.kill(driver, 'SIGKILL');
  }

  /** Saves a screenshot of the app (called on failure, and where a test wants proof). */
  async screenshot(label = 'failure') {
    if (!this.session) return null;
    try {
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = join(ARTIFACTS, `${this.name}-${label}.png`);
      writeFileSync(file, await this.session.screenshotPng());
      return file;
    } catch {
      return null;
    }
  }

  async stop() {
    if (this.session) await this.session.close();
    for (const p of this.procs.reverse()) {
      if (p.exitCode === null && p.signalCode === null) {
        try {
          process.kill(-p.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        const exited = new Promise((r) => p.once('exit', r));
        const timer = new Promise((r) => setTimeout(r, 5000, 'timeout'));
        if ((await Promise.race([exited, timer])) === 'timeout') {
          try {
            process.kill(-p.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Wraps a test body: on failure saves a screenshot and the app's log, always stops the rig. */
export function withRig(name, body) {
  return async (t) => {
    const rig = new Rig(name);
    try {
      await body(rig, t);
    } catch (e) {
      const shot = await rig.screenshot();
      const logs = rig.procs.map((p) => `--- ${p.spawnfile} ---\n${p.stderrText}`).join('\n');
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, `${name}-logs.txt`), logs);
      const where = `(screenshot: ${shot ?? 'none'}; logs: ${join(ARTIFACTS, `${name}-logs.txt`)})`;
      // Some errors (a DOMException) have a read-only message: wrap those rather than lose them.
      if (!(e instanceof Error) || Object.getOwnPropertyDescriptor(e, 'message')?.writable === false || !Object.hasOwn(e, 'message')) {
        throw new Error(`${e?.name ?? 'Error'}: ${e?.message ?? e}\n${where}`, { cause: e });
      }
      e.message += `\n${where}`;
      throw e;
    } finally {
      await rig.stop();
    }
  };
}

/** Fetches a backend endpoint with the token, as the tests' independent view of the truth. */
export async function backendGet(info, path) {
  const res = await fetch(info.url + path, {
    headers: { authorization: `Bearer ${info.token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${path} → ${res.status}`);
  return res.json();
}

/**
 * A micro-dollar amount as the UI shows it by default (written here independently of the UI):
 * cents, rounded half up, with thousands separators; under a cent, two significant digits.
 */
export function usd(micros) {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  if (abs === 0) return '$0.00';
  if (abs < 10_000) {
    const digits = String(abs).length;
    const f = digits > 2 ? 10 ** (digits - 2) : 1;
    const r = Math.round(abs / f) * f;
    if (r < 10_000) {
      let frac = String(r).padStart(6, '0');
      while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
      return `${sign}$0.${frac}`;
    }
  }
  const cents = Math.floor((abs + 5_000) / 10_000);
  const dollars = Math.floor(cents / 100).toLocaleString('en-US');
  return `${sign}$${dollars}.${String(cents % 100).padStart(2, '0')}`;
}

/** Adds a native backend through the Backends view, as a user would (name, URL, token, Add). */
export async function addBackendInApp(s, backend, name = 'Reference under test') {
  await (await s.waitFind('[data-testid="nav-backends"]')).click();
  await (await s.waitFind('[data-testid="backend-name"]')).type(name);
  await (await s.find('[data-testid="backend-url"]')).type(backend.url);
  await (await s.find('[data-testid="backend-token"]')).type(backend.token);
  await (await s.find('[data-testid="backend-add"]')).click();
}

/**
 * From the Runs view, opens the first run whose row text matches `pattern` (waiting for it to be
 * synced) and resolves to its tool-call elements once there are `calls` of them.
 */
export async function openRunWithCalls(s, pattern, calls) {
  await (await s.find('[data-testid="nav-runs"]')).click();
  const row = await waitFor(`a run matching ${pattern} in the list`, async () => {
    for (const r of await s.findAll('[data-testid="run-row"]')) {
      if (pattern.test(await r.text())) return r;
    }
    return null;
  });
  await row.click();
  await s.waitFind('[data-testid="run-detail"]');
  return waitFor(`${calls} tool calls`, async () => {
    const c = await s.findAll('[data-testid="tool-call"]');
    return c.length === calls ? c : null;
  });
}
