import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { golden } from '../../api';
import type { WorkflowGate } from '../../api/types';
import type { Marker } from '../../lib/overviewSeries';
import { WITHOUT_EVAL, withGates } from './gateMarkers';
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
const gate = (workflow: string, model: string, passing: string | null): WorkflowGate => ({
  workflow,
  gate: {
    current: { version: 'v3', model, prompt: '' },
    changed_at: new Date(d0 + 5 * DAY).toISOString(),
    previous: { version: 'v3', model: 'claude-sonnet-4', prompt: '' },
    passing_eval: passing,
    latest_eval: null,
  },
});

describe('the gate on model-change markers', () => {
  const markers = [
    marker(1, 'refund_request', 'gpt-4.1-mini', 'claude-sonnet-4'),
    marker(5, 'refund_request', 'claude-sonnet-4', 'legacy-kb-1'),
    marker(6, 'support_triage', 'a', 'b'),
    marker(7, 'kyc_check', 'a', 'b'),
  ];

  it('marks only a workflow latest change to the model it now runs, failing without a passing eval', () => {
    const out = withGates(markers, [gate('refund_request', 'legacy-kb-1', null), gate('support_triage', 'b', 'eval_9')]);
    expect(out.map((m) => m.gate)).toEqual([undefined, 'without_eval', 'eval_passed', undefined]);
    expect(out[1]?.label).toBe(`refund_request: claude-sonnet-4 → legacy-kb-1 — ${WITHOUT_EVAL}`);
    expect(out[2]?.evalId).toBe('eval_9');
    // The older change keeps its label; the chart draws the new one.
    expect(out[0]).toEqual(markers[0]);
  });

  it('leaves a change alone when the gate is about another model or saw no change', () => {
    expect(withGates(markers, [gate('refund_request', 'gpt-5', null)])[1]?.gate).toBeUndefined();
    const unchanged = gate('refund_request', 'legacy-kb-1', null);
    unchanged.gate.changed_at = null;
    expect(withGates(markers, [unchanged])[1]?.gate).toBeUndefined();
    expect(withGates(markers, [])).toEqual(markers);
  });

  it('the list under the charts says "changed without eval" on the failing change', () => {
    const html = renderToStaticMarkup(
      <ModelChangeList markers={withGates(markers, [gate('refund_request', 'legacy-kb-1', null), gate('support_triage', 'b', 'eval_9')])} />,
    );
    const items = html.split('data-testid="model-change"').slice(1);
    expect(items[0]).not.toContain('data-gate');
    expect(items[1]).toContain('data-gate="without_eval"');
    expect(items[1]).toContain(WITHOUT_EVAL);
    expect(items[2]).toContain('data-gate="eval_passed"');
    expect(items[2]).toContain('eval passed');
    expect(items[2]).not.toContain(WITHOUT_EVAL);
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
