// Hostile lengths never break the screen: a 200,000-character workflow, model, user or backend
// name is clipped wherever it is shown, every other control stays, and the full text is on demand.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Run, RunSummary } from '../api';
import { RunFilters, EMPTY_FILTERS } from '../features/runs/RunFilters';
import { RunHeader } from '../features/runs/RunHeader';
import { RunTable } from '../features/runs/RunTable';
import { INLINE_MAX, OPTION_MAX, TITLE_MAX, clip, codePointLength, optionLabel, titleText } from '../lib/clip';
import { Clipped, LongText } from './Clipped';

const HUGE = 200_000;
const huge = (prefix: string) => `${prefix}${'x'.repeat(HUGE - prefix.length)}`;
const WF = huge('wf_');
const MODEL = huge('model_');
const USER = huge('user_');
const BACKEND = huge('backend_');

/** How often `needle` occurs in `html`. */
const occurrences = (html: string, needle: string) => html.split(needle).length - 1;

/** Decodes the few entities renderToStaticMarkup writes in attributes and text. */
const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('clip', () => {
  it('keeps short text, cuts long text to max code points ending in an ellipsis, never splitting a pair', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcd', 3)).toBe('ab…');
    expect(codePointLength(clip(WF, 60))).toBe(60);
    // 😀 is two UTF-16 units: four of them are 8 units but 4 code points, so nothing is cut.
    expect(clip('😀😀😀😀', 4)).toBe('😀😀😀😀');
    expect(clip('😀😀😀😀😀', 4)).toBe('😀😀😀…');
  });

  it('titles spell hidden characters out and name the length past TITLE_MAX', () => {
    expect(titleText('pay\u202Eout')).toBe('pay⟦U+202E⟧out');
    const t = titleText(WF);
    expect(t.startsWith('wf_xxx')).toBe(true);
    expect(t.length).toBeLessThan(TITLE_MAX + 100);
    expect(t).toContain('200,000 characters in all');
    expect(optionLabel('a\u200Bb')).toBe('a⟦U+200B⟧b');
  });
});

describe('filter bar with 200,000-character values', () => {
  const render = () =>
    renderToStaticMarkup(
      <RunFilters
        value={{ ...EMPTY_FILTERS, workflow: WF, model: MODEL, user: USER, backend: 'b1' }}
        facets={{ workflows: [WF, 'support_triage'], models: [MODEL], backends: [{ backend_id: 'b1', name: BACKEND }] }}
        onChange={() => {}}
      />,
    );

  it('keeps every other filter control', () => {
    const html = render();
    for (const id of [
      'search-input',
      'filter-backend',
      'filter-workflow',
      'filter-model',
      'filter-outcome',
      'sort-select',
      'filter-tenant',
      'filter-user',
      'filter-since',
      'filter-until',
      'filter-min-cost',
      'filter-max-cost',
      'filter-policy-failed',
      'filter-cites-stale',
      'filter-clear',
    ]) {
      expect(html).toContain(`data-testid="${id}"`);
    }
  });

  it('clips every option text, keeps the full value as the option value, and the selects carry a title', () => {
    const html = render();
    const options = [...html.matchAll(/<option([^>]*)>([^<]*)<\/option>/g)];
    expect(options.length).toBeGreaterThan(10);
    for (const [, , text] of options) expect(codePointLength(unescape(text ?? ''))).toBeLessThanOrEqual(OPTION_MAX);
    // The full workflow and model appear once each: as the option's value, not as its text.
    expect(occurrences(html, WF)).toBe(1);
    expect(occurrences(html, MODEL)).toBe(1);
    expect(html).toContain(`value="${WF}"`);
    // The backend name is long; its id is the value.
    expect(occurrences(html, BACKEND)).toBe(0);
    for (const id of ['filter-workflow', 'filter-model', 'filter-backend']) {
      expect(html).toMatch(new RegExp(`<select data-testid="${id}" class="clipped-select" title="[a-z]+_x{100}`));
    }
  });
});

const summary: RunSummary = {
  backend_id: 'b1',
  run_id: 'run_1',
  tenant: 't',
  workflow: WF,
  workflow_version: 'v2',
  user_id: USER,
  model: MODEL,
  outcome: 'success',
  decision: 'refund',
  cost_micros: 4200,
  latency_ms: 10,
  tool_calls: 1,
  policy_failures: 0,
  citation_warnings: 0,
  started_at: '2026-11-25T15:00:00Z',
};

describe('run table with 200,000-character values', () => {
  it('clips the cells, keeps every column, and names the full length in the title', () => {
    const html = renderToStaticMarkup(<RunTable runs={[summary]} backendName={() => BACKEND} onOpen={() => {}} focusRunId={null} />);
    for (const col of ['time', 'backend', 'workflow', 'workflow_version', 'user', 'model', 'outcome', 'decision', 'cost', 'latency', 'tool_calls', 'policy_failures', 'citation_warnings']) {
      expect(html).toContain(`data-col="${col}"`);
    }
    for (const col of ['workflow', 'user', 'model', 'backend']) {
      const m = html.match(new RegExp(`data-col="${col}"><span class="clipped" title="([^"]*)"[^>]*>([^<]*)</span>`));
      expect(m, col).not.toBeNull();
      expect(codePointLength(m?.[2] ?? '')).toBeLessThanOrEqual(INLINE_MAX);
      expect(m?.[1]).toContain('200,000 characters in all');
    }
    // Nowhere near 4 × 200,000 characters in the page.
    expect(html.length).toBeLessThan(4 * (TITLE_MAX + 500) + 10_000);
    expect(html).toContain('$0.0042');
  });
});

describe('run header with 200,000-character values', () => {
  const run: Run = {
    run_id: 'r1',
    revision: 1,
    tenant: 'acme',
    user_id: USER,
    workflow: WF,
    workflow_version: 'v2',
    model: MODEL,
    inputs: {},
    tool_calls: [],
    citations: [],
    outputs: null,
    confidence: 0.5,
    cost_micros: 4200,
    tokens: { input: 1, output: 2 },
    latency_ms: 5,
    outcome: 'success',
    decision: 'refund',
    rationale: 'ok',
    policy_checks: [],
    changes: [],
    started_at: '2026-11-25T15:00:00Z',
    updated_at: '2026-11-25T15:00:00Z',
  };

  it('clips workflow, model, user and backend, offers "show all", keeps the other entries', () => {
    const html = renderToStaticMarkup(<RunHeader run={run} backendName={BACKEND} />);
    for (const id of ['run-user', 'run-workflow', 'run-model', 'run-backend']) {
      const m = html.match(new RegExp(`<span class="clipped" title="[^"]*" data-testid="${id}" data-clipped="true">([^<]*)</span>`));
      expect(m, id).not.toBeNull();
      expect(codePointLength(m?.[1] ?? '')).toBeLessThanOrEqual(INLINE_MAX);
    }
    expect(occurrences(html, 'data-testid="clip-toggle" aria-expanded="false"')).toBe(4);
    expect(html).toContain('show all 200,000 characters');
    for (const id of ['run-cost', 'run-tokens', 'run-latency']) expect(html).toContain(`data-testid="${id}"`);
    expect(occurrences(html, WF)).toBe(0);
  });
});

describe('Clipped and LongText', () => {
  it('keep the full text of a moderately long value in the title, and hidden characters marked', () => {
    const text = `${'a'.repeat(300)}\u202Eb`;
    const html = renderToStaticMarkup(<Clipped text={text} max={40} />);
    expect(html).toContain(`title="${'a'.repeat(300)}⟦U+202E⟧b"`);
    expect(html).not.toContain('clip-toggle');
    const marked = renderToStaticMarkup(<Clipped text={'pay\u202Eout'} />);
    expect(marked).toContain('<span class="hidden-char"');
    expect(marked).not.toContain('\u202E');
  });

  it('LongText shows the start of a long block with a toggle, and short text whole', () => {
    const long = renderToStaticMarkup(<LongText text={'y'.repeat(5000)} max={300} />);
    expect(occurrences(long, 'y'.repeat(300))).toBe(0);
    expect(long).toContain('y'.repeat(299) + '…');
    expect(long).toContain('show all 5,000 characters');
    const short = renderToStaticMarkup(<LongText text="fine" />);
    expect(short).toBe('<span class="long-text">fine</span>');
  });
});
