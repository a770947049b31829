import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { golden } from '../../api';
import type { WorkflowGate } from '../../api/types';
import type { Marker } from '../../lib/overviewSeries';
import { WITHOUT_EVAL, changeText, configChanges, withGates } from './gateMarkers';
import { ModelChangeList } from './OverviewView';

const DAY = 86_400_000;
const d0 = Date.UTC(2026, 10, 10);
const marker = (index: number, workflow: string, from: string, to: string): Marker => ({
  index,
  day: d0 + index * DAY,
  workflow,
  from,
  to,
  label: `${workflow}: ${from} → ${to}`,
});
const DAYS = Array.from({ length: 10 }, (_, i) => d0 + i * DAY);
const gate = (workflow: string, model: string, passing: string | null, day = 5): WorkflowGate => ({
  workflow,
  gate: {
    current: { version: 'v3', model, prompt: '', retrieval: '' },
    changed_at: new Date(d0 + day * DAY + 3_600_000).toISOString(),
    previous: { version: 'v3', model: 'claude-sonnet-4', prompt: '', retrieval: '' },
    passing_eval: passing,
    latest_eval: null,
  },
});
/** A gate whose latest change is of `what` only, on `day`. */
const labelGate = (workflow: string, what: 'prompt' | 'retrieval' | 'version', day: number, passing: string | null): WorkflowGate => {
  const before = { version: 'v3', model: 'm', prompt: 'p7', retrieval: 'kb-10' };
  const after = { ...before, [what]: what === 'prompt' ? 'p8' : what === 'retrieval' ? 'kb-11' : 'v4' };
  return {
    workflow,
    gate: { current: after, changed_at: new Date(d0 + day * DAY).toISOString(), previous: before, passing_eval: passing, latest_eval: null },
  };
};

describe('the gate on model-change markers', () => {
  const markers = [
    marker(1, 'refund_request', 'gpt-4.1-mini', 'claude-sonnet-4'),
    marker(5, 'refund_request', 'claude-sonnet-4', 'legacy-kb-1'),
    marker(6, 'support_triage', 'a', 'b'),
    marker(7, 'kyc_check', 'a', 'b'),
  ];

  it('marks only a workflow latest change to the model it now runs, failing without a passing eval', () => {
    const out = withGates(markers, [gate('refund_request', 'legacy-kb-1', null), gate('support_triage', 'b', 'eval_9', 6)], DAYS);
    expect(out.map((m) => m.gate)).toEqual([undefined, 'without_eval', 'eval_passed', undefined]);
    expect(out[1]?.label).toBe(`refund_request: model claude-sonnet-4 → legacy-kb-1 — ${WITHOUT_EVAL}`);
    expect(out[1]?.changes).toEqual([{ what: 'model', from: 'claude-sonnet-4', to: 'legacy-kb-1' }]);
    expect(out[2]?.evalId).toBe('eval_9');
    expect(out[2]?.label).not.toContain(WITHOUT_EVAL);
    // The older change keeps its label; the chart draws the new one.
    expect(out[0]).toEqual(markers[0]);
  });

  it('leaves a change alone when the gate saw no change', () => {
    const unchanged = gate('refund_request', 'legacy-kb-1', null);
    unchanged.gate.changed_at = null;
    expect(withGates(markers, [unchanged], DAYS)[1]?.gate).toBeUndefined();
    expect(withGates(markers, [], DAYS)).toEqual(markers);
  });

  it('a later change to another model than the marker shows gets a marker of its own', () => {
    const out = withGates(markers, [gate('refund_request', 'gpt-5', null, 8)], DAYS);
    expect(out).toHaveLength(5);
    expect(out[1]?.gate).toBeUndefined();
    const added = out.find((m) => m.day === d0 + 8 * DAY);
    expect(added?.index).toBe(8);
    expect(added?.gate).toBe('without_eval');
    expect(added?.label).toBe(`refund_request: model claude-sonnet-4 → gpt-5 — ${WITHOUT_EVAL}`);
  });

  it('judges a prompt-only, retrieval-only or version-only change, labelled with what changed', () => {
    const out = withGates(
      markers,
      [labelGate('kyc_check', 'prompt', 9, null), labelGate('billing', 'retrieval', 3, 'eval_r'), labelGate('crm', 'version', 2, null)],
      DAYS,
    );
    // kyc_check's model marker (day 7) stays as it was; its prompt change on day 9 is marked.
    expect(out.find((m) => m.workflow === 'kyc_check' && m.day === d0 + 7 * DAY)?.gate).toBeUndefined();
    const prompt = out.find((m) => m.workflow === 'kyc_check' && m.day === d0 + 9 * DAY);
    expect(prompt?.gate).toBe('without_eval');
    expect(prompt?.label).toBe(`kyc_check: prompt p7 → p8 — ${WITHOUT_EVAL}`);
    expect([prompt?.from, prompt?.to]).toEqual(['p7', 'p8']);
    const retrieval = out.find((m) => m.workflow === 'billing');
    expect(retrieval?.gate).toBe('eval_passed');
    expect(retrieval?.evalId).toBe('eval_r');
    expect(retrieval?.label).toBe('billing: retrieval kb-10 → kb-11');
    expect(out.find((m) => m.workflow === 'crm')?.changes).toEqual([{ what: 'version', from: 'v3', to: 'v4' }]);
    // In day order, so the numbers on the charts follow time.
    expect(out.map((m) => m.day)).toEqual([...out.map((m) => m.day)].sort((a, b) => a - b));
    // A change before the window has no day to draw on.
    expect(withGates([], [labelGate('crm', 'prompt', 42, null)], DAYS)).toEqual([]);
  });

  it('spells out every label that changed, an unnamed one as none', () => {
    const c = configChanges(
      { version: 'v3', model: 'm', prompt: '', retrieval: 'kb-1' },
      { version: 'v3', model: 'm2', prompt: 'p1', retrieval: 'kb-1' },
    );
    expect(changeText(c)).toBe('model m → m2, prompt none → p1');
    expect(configChanges({ version: 'a', model: 'b', prompt: '', retrieval: '' }, { version: 'a', model: 'b', prompt: '', retrieval: '' })).toEqual([]);
  });

  it('the list under the charts says "changed without eval" on the failing change', () => {
    const html = renderToStaticMarkup(
      <ModelChangeList markers={withGates(markers, [gate('refund_request', 'legacy-kb-1', null), gate('support_triage', 'b', 'eval_9', 6)], DAYS)} />,
    );
    const items = html.split('data-testid="model-change"').slice(1);
    expect(items[0]).not.toContain('data-gate');
    expect(items[1]).toContain('data-gate="without_eval"');
    expect(items[1]).toContain(WITHOUT_EVAL);
    expect(items[2]).toContain('data-gate="eval_passed"');
    expect(items[2]).toContain('eval passed');
    expect(items[2]).not.toContain(WITHOUT_EVAL);
  });

  it('the list names a prompt-only change by what changed', () => {
    const html = renderToStaticMarkup(<ModelChangeList markers={withGates([], [labelGate('refund_request', 'prompt', 4, null)], DAYS)} />);
    const items = html.split('data-testid="model-change"').slice(1);
    expect(items).toHaveLength(1);
    expect(items[0]).toContain('data-what="prompt"');
    expect(items[0]).toContain('p7');
    expect(items[0]).toContain('p8');
    expect(items[0]).toContain(WITHOUT_EVAL);
  });
});

type Win = { __TAURI_INTERNALS__?: { invoke: (...a: unknown[]) => Promise<unknown> } };
const g = globalThis as unknown as { window?: Win };
afterEach(() => {
  delete g.window;
});

describe('golden_gates', () => {
  it('asks for the gates of the workflows named', async () => {
    const invoke = vi.fn(async () => []);
    g.window = { __TAURI_INTERNALS__: { invoke } };
    await golden.gates(['refund_request', 'support_triage']);
    expect(invoke).toHaveBeenLastCalledWith('golden_gates', { workflows: ['refund_request', 'support_triage'] }, undefined);
  });
});
