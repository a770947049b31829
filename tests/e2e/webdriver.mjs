// A minimal W3C WebDriver client (std-lib fetch), enough to drive the real Countersign app
// through tauri-driver. Every call has a timeout so a hung driver fails the test, not CI.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** WebDriver key codes the tests type. */
export const KEY = { end: '\uE010', backspace: '\uE003' };

export class WebDriverError extends Error {}

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes (waits on a condition). */
export async function waitFor(what, probe, timeoutMs = 20_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new WebDriverError(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(base, capabilities, timeoutMs = 60_000) {
    const v = await call(base, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } }, timeoutMs);
    return new Session(base, v.sessionId);
  }

  cmd(method, path, body, timeoutMs = 15_000) {
    return call(this.base, method, `/session/${this.id}${path}`, body, timeoutMs);
  }

  async find(css) {
    const v = await this.query('/element', css);
    return new Element(this, v[ELEMENT]);
  }

  /** Finds an element, waiting (polling) until it is present, up to `timeoutMs`. */
  async waitFind(css, timeoutMs = 20_000) {
    return waitFor(`element ${css}`, async () => (await this.findAll(css))[0], timeoutMs);
  }

  /**
   * Every element matching `css`. WebKitWebDriver fails a query with "stale element reference"
   * when a matching node is replaced while it builds the answer (React re-rendering a list);
   * the query is read-only, so it is asked again at once (a bounded number of times).
   */
  async findAll(css) {
    const v = await this.query('/elements', css);
    return v.map((e) => new Element(this, e[ELEMENT]));
  }

  /**
   * A document-level element query. WebKitWebDriver fails one with "stale element reference"
   * when a matching node is replaced while it builds the answer (React re-rendering a list);
   * the query is read-only, so it is asked again at once, a bounded number of times.
   */
  async query(path, css) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.cmd('POST', path, { using: 'css selector', value: css });
      } catch (e) {
        if (attempt >= 5 || !String(e?.message ?? e).includes('stale element reference')) throw e;
      }
    }
  }

  /** Runs a script in the page (used only to read state, never to bypass the UI). */
  execute(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  async screenshotPng() {
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  async close() {
    try {
      await this.cmd('DELETE', '', undefined, 10_000);
    } catch {
      // the app may already be gone; the harness kills the process group anyway
    }
  }
}

export class Element {
  constructor(session, id) {
    this.s = session;
    this.id = id;
  }
  /** Scrolls the element to the middle of its scroll container (tables scroll inside the view). */
  reveal() {
    return this.s.execute('arguments[0].scrollIntoView({block: "center", inline: "nearest"})', [{ [ELEMENT]: this.id }]);
  }
  /**
   * Clicks like a user. WebKitWebDriver wrongly reports rows of a table that scrolls inside the
   * page as "not interactable"; then the element is clicked where a user would — after checking
   * that it is visible and that the topmost element at its centre is it or inside it.
   */
  async click() {
    await this.reveal();
    try {
      return await this.s.cmd('POST', `/element/${this.id}/click`, {});
    } catch (e) {
      if (!/not interactable/.test(e.message)) throw e;
      const hit = await this.s.execute(
        `const el = arguments[0]; const r = el.getBoundingClientRect();
         if (r.width === 0 || r.height === 0) return 'zero-size';
         const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
         if (!top || !(top === el || el.contains(top))) return 'obscured';
         top.click(); return 'ok';`,
        [{ [ELEMENT]: this.id }],
      );
      if (hit !== 'ok') throw new WebDriverError(`element not clickable: ${hit}`);
      return null;
    }
  }
  /**
   * Types `text` key by key. The time allowed grows with its length: under load each key costs
   * the WebView a React render, and a long path takes more than the default 15 s.
   */
  type(text) {
    return this.s.cmd('POST', `/element/${this.id}/value`, { text }, 15_000 + 250 * [...text].length);
  }
  /** The input's current value (its DOM property, what React holds). */
  value() {
    return this.s.cmd('GET', `/element/${this.id}/property/value`);
  }
  /**
   * Chooses `value` in this <select> as a user does (clicking its option), and waits until the
   * select holds it: under load WebKitWebDriver may report an option click done that the page
   * never saw, so the click is repeated until the value is there.
   */
  async choose(value) {
    await waitFor(`${value} chosen`, async () => {
      if ((await this.value()) === value) return true;
      await (await this.find(`option[value="${value}"]`)).click();
      return (await this.value()) === value;
    }, 20_000, 250);
  }
  /** Replaces an input's text by keystrokes (WebDriver's clear() does not reach React's state). */
  async replaceText(text) {
    const cur = String((await this.value()) ?? '');
    await this.type(KEY.end + KEY.backspace.repeat(cur.length) + text);
    await waitFor(`the input to read ${text}`, async () => (await this.value()) === text, 5_000);
  }
  clear() {
    return this.s.cmd('POST', `/element/${this.id}/clear`, {});
  }
  /** Rendered text (innerText; WebKitWebDriver returns "" for rows of an inner-scrolling table). */
  async text() {
    await this.reveal();
    return this.s.execute('return arguments[0].innerText.trim()', [{ [ELEMENT]: this.id }]);
  }
  attr(name) {
    return this.s.cmd('GET', `/element/${this.id}/attribute/${name}`);
  }
  async find(css) {
    const v = await this.s.cmd('POST', `/element/${this.id}/element`, { using: 'css selector', value: css });
    return new Element(this.s, v[ELEMENT]);
  }
}

async function call(base, method, path, body, timeoutMs) {
  let res;
  try {
    res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    // A timeout is a DOMException that names neither the command nor the wait.
    throw new WebDriverError(`${method} ${path}: ${e.name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : e.message}`);
  }
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const v = json.value ?? {};
    throw new WebDriverError(`${method} ${path} → ${res.status} ${v.error ?? ''}: ${v.message ?? ''}`);
  }
  return json.value;
}
