// Editing golden sets from the UI: a case's expectations form, adding one or many runs from the
// run list, and importing onto a chosen backend.
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { golden } from '../../api';
import type { Expectations, RunSummary } from '../../api/types';
import { RunTable, selectedRefs, selectionKey, toggled } from '../runs/RunTable';
import { SelectionBar } from '../runs/RunsView';
import { draftOf, expectationsFromDraft, ExpectationsForm, parseUsd } from './ExpectationsForm';
import { importBackend } from './GoldenView';

type Win = { __TAURI_INTERNALS__?: { invoke: (...a: unknown[]) => Promise<unknown> } };
const g = globalThis as unknown as { window?: Win };
afterEach(() => {
  delete g.window;
});
function fakeTauri(answer: (cmd: string, args: unknown) => unknown) {
  const invoke = vi.fn(async (cmd: unknown, args: unknown) => answer(cmd as string, args));
  g.window = { __TAURI_INTERNALS__: { invoke } };
  return invoke;
}

const expectations: Expectations = {
  outcome: 'success',
  decision: 'refund_proposed',
  citations: [
    { doc_id: 'kb_101', passage: 'within 14 days' },
    { doc_id: 'kb_7', passage: '<b>bold</b>' },
  ],
  writes: [{ system: 'billing', record_id: 'ord_1', field: 'refund', after: '40.00' }],
  failed_checks: ['amount_within_policy'],
  max_cost_micros: 22_683,
  max_latency_ms: 5736,
};

describe('the expectations form', () => {
  it('reads dollars exactly, to the micro-dollar, and refuses anything else', () => {
    expect(parseUsd('0.022683')).toBe(22_683);
    expect(parseUsd('$1.5')).toBe(1_500_000);
    expect(parseUsd('12')).toBe(12_000_000);
    expect(parseUsd(' 0.1 ')).toBe(100_000);
    for (const bad of ['', '-1', '0.0000001', '1e3', 'abc', '1.2.3']) expect(parseUsd(bad), bad).toBeNull();
  });

  it('an untouched draft gives back the same expectations', () => {
    const r = expectationsFromDraft(expectations, draftOf(expectations));
    expect(r).toEqual({ expect: expectations });
  });

  it('applies the edits: any outcome, a new decision and ceilings, fewer required passages and writes', () => {
    const d = {
      ...draftOf(expectations),
      outcome: '',
      decision: ' refund_denied ',
      failedChecks: 'amount_within_policy, region_allowed,',
      maxCostUsd: '0.05',
      maxLatencyMs: '',
      keepCitations: [false, true],
      keepWrites: [false],
    };
    expect(expectationsFromDraft(expectations, d)).toEqual({
      expect: {
        decision: 'refund_denied',
        citations: [{ doc_id: 'kb_7', passage: '<b>bold</b>' }],
        writes: [],
        failed_checks: ['amount_within_policy', 'region_allowed'],
        max_cost_micros: 50_000,
      },
    });
  });

  it('names the bad field', () => {
    const d = draftOf(expectations);
    expect(expectationsFromDraft(expectations, { ...d, maxCostUsd: '5 dollars' })).toEqual({
      error: 'cost ceiling: a dollar amount such as 0.05 (up to six decimals)',
    });
    expect(expectationsFromDraft(expectations, { ...d, maxLatencyMs: '1.5' })).toEqual({ error: 'latency ceiling: whole milliseconds' });
    expect(expectationsFromDraft(expectations, { ...d, outcome: 'great' })).toEqual({ error: 'unknown outcome great' });
  });

  it('shows the current values, passages as text', () => {
    const html = renderToStaticMarkup(
      <ExpectationsForm workflow="refund_request" caseId="run_7" expect={expectations} onSaved={() => {}} onCancel={() => {}} />,
    );
    expect(html).toContain('data-case-id="run_7"');
    expect(html).toContain('value="0.022683"');
    expect(html).toContain('value="5736"');
    expect(html).toContain('value="amount_within_policy"');
    expect(html).toContain('value="refund_proposed"');
    expect(html.match(/data-testid="expect-keep-citation"/g)).toHaveLength(2);
    expect(html.match(/data-testid="expect-keep-write"/g)).toHaveLength(1);
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(html).not.toContain('<b>bold</b>');
  });

  it('saves through golden_set_expectations', async () => {
    const invoke = fakeTauri(() => ({ workflow: 'refund_request', version: 4 }));
    const r = expectationsFromDraft(expectations, { ...draftOf(expectations), maxCostUsd: '0.03' });
    if (!('expect' in r)) throw new Error(r.error);
    await golden.setExpectations('refund_request', 'run_7', r.expect);
    expect(invoke).toHaveBeenLastCalledWith(
      'golden_set_expectations',
      { workflow: 'refund_request', caseId: 'run_7', expect: { ...expectations, max_cost_micros: 30_000 } },
      undefined,
    );
  });
});

const summary = (backend_id: string, run_id: string): RunSummary => ({
  backend_id,
  run_id,
  tenant: 't',
  workflow: 'refund_request',
  workflow_version: 'v3',
  user_id: 'u_1',
  model: 'claude-sonnet-4',
  outcome: 'success',
  decision: 'refund',
  cost_micros: 4200,
  latency_ms: 10,
  tool_calls: 1,
  policy_failures: 0,
  citation_warnings: 0,
  started_at: '2026-11-25T15:00:00Z',
});

describe('adding runs from the run list', () => {
  it('keeps a selection across backends and hands it to golden_add_runs, one or many', async () => {
    const a = summary('b1', 'run_1');
    const b = summary('b2', 'run_1');
    let sel = toggled(new Set(), selectionKey(a), true);
    sel = toggled(sel, selectionKey(b), true);
    sel = toggled(sel, selectionKey(a), true);
    expect(sel.size).toBe(2);
    expect(selectedRefs(sel)).toEqual([
      { backend_id: 'b1', run_id: 'run_1' },
      { backend_id: 'b2', run_id: 'run_1' },
    ]);
    const invoke = fakeTauri(() => []);
    await golden.addRuns(selectedRefs(sel));
    expect(invoke).toHaveBeenLastCalledWith('golden_add_runs', { runs: selectedRefs(sel), headroom: null }, undefined);
    sel = toggled(sel, selectionKey(b), false);
    expect(selectedRefs(sel)).toEqual([{ backend_id: 'b1', run_id: 'run_1' }]);
  });

  it('shows a checkbox per row only when selecting, checked for the selected runs', () => {
    const runs = [summary('b1', 'run_1'), summary('b1', 'run_2')];
    const plain = renderToStaticMarkup(<RunTable runs={runs} backendName={(x) => x} onOpen={() => {}} focusRunId={null} />);
    expect(plain).not.toContain('run-select');
    const html = renderToStaticMarkup(
      <RunTable
        runs={runs}
        backendName={(x) => x}
        onOpen={() => {}}
        focusRunId={null}
        selected={new Set([selectionKey(runs[1]!)])}
        onSelect={() => {}}
      />,
    );
    const boxes = html.match(/<input type="checkbox"[^>]*>/g) ?? [];
    expect(boxes).toHaveLength(2);
    expect(boxes[0]).not.toContain('checked');
    expect(boxes[1]).toContain('checked');
    expect(html).toContain('aria-label="Select run run_2"');
  });

  it('offers the action for one or many, and says where they went', () => {
    expect(renderToStaticMarkup(<SelectionBar count={0} adding={false} added={null} onAdd={() => {}} onClear={() => {}} />)).toBe('');
    expect(renderToStaticMarkup(<SelectionBar count={1} adding={false} added={null} onAdd={() => {}} onClear={() => {}} />)).toContain(
      'Add it to golden set',
    );
    const many = renderToStaticMarkup(<SelectionBar count={3} adding={false} added={null} onAdd={() => {}} onClear={() => {}} />);
    expect(many).toContain('data-count="3"');
    expect(many).toContain('Add all 3 to golden set');
    const done = renderToStaticMarkup(
      <SelectionBar count={0} adding={false} added="refund_request v4, <i>x</i> v1" onAdd={() => {}} onClear={() => {}} />,
    );
    expect(done).toContain('Added: refund_request v4, &lt;i&gt;x&lt;/i&gt; v1');
    expect(done).not.toContain('runs-add-golden');
  });
});

describe('import onto a chosen backend', () => {
  const backends = [
    { backend_id: 'b1', name: 'Staging' },
    { backend_id: 'b2', name: 'Production' },
  ];
  it('attaches the cases to the backend chosen, not the first one', async () => {
    expect(importBackend(backends, 'b2')).toBe('b2');
    expect(importBackend(backends, '')).toBe('b1');
    expect(importBackend(backends, 'gone')).toBe('b1');
    expect(importBackend([], 'b2')).toBe('');
    const invoke = fakeTauri(() => ({ workflow: 'refund_request', version: 2 }));
    await golden.importSet('refund_request', importBackend(backends, 'b2'), '{}', 'pasted JSONL');
    expect(invoke).toHaveBeenLastCalledWith(
      'golden_import',
      { workflow: 'refund_request', backendId: 'b2', text: '{}', source: 'pasted JSONL' },
      undefined,
    );
  });
});
