import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AutonomyView, Scorecard } from '../../api/types';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { AutonomyRowView, autonomyGate, failingRows, isRaise, needsJustification, submitAutonomy } from './Autonomy';

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

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

const view = (over: Partial<AutonomyView> = {}): AutonomyView => ({
  backend_id: 'b1',
  backend_name: 'Reference <b>',
  enforced: true,
  can_edit: true,
  ...over,
  state: {
    workflow: 'refund_request',
    level: 'approve_every_write',
    sample_percent: 0,
    set_by: null,
    requested_by: null,
    justification: null,
    updated_at: null,
    refused_writes: 0,
    last_refused_at: null,
    ...(over.state ?? {}),
  },
});

const card = (statuses: ('pass' | 'warn' | 'fail')[]): Scorecard =>
  ({
    workflow: 'refund_request',
    from: '2026-11-01T00:00:00Z',
    to: '2026-11-29T00:00:00Z',
    status: 'warn',
    rows: statuses.map((status, i) => ({
      criterion: ['reversible', 'cost_bounded', 'trust'][i],
      status,
      evidence: [],
      link: { to: 'audit' },
    })),
    thresholds: {},
  }) as unknown as Scorecard;

const every = { level: 'approve_every_write' as const, samplePercent: 0 };
const auto = { level: 'autonomous_within_caps' as const, samplePercent: 0 };
const readOnly = { level: 'read_only' as const, samplePercent: 0 };

describe('autonomy justification gate', () => {
  it('a raise is a higher level or a smaller sampled share', () => {
    expect(isRaise(every, auto)).toBe(true);
    expect(isRaise(auto, every)).toBe(false);
    expect(isRaise({ level: 'sampled_approval', samplePercent: 20 }, { level: 'sampled_approval', samplePercent: 5 })).toBe(true);
    expect(isRaise({ level: 'sampled_approval', samplePercent: 5 }, { level: 'sampled_approval', samplePercent: 20 })).toBe(false);
  });

  it('demands a justification only to raise while a row fails', () => {
    const failing = failingRows(card(['pass', 'fail', 'warn']));
    expect(failing).toEqual(['cost_bounded']);
    expect(needsJustification(every, auto, failing)).toBe(true);
    expect(needsJustification(every, readOnly, failing)).toBe(false);
    expect(needsJustification(every, auto, [])).toBe(false);
    const refused = autonomyGate(every, auto, failing, '   ');
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toContain('cost_bounded');
    expect(autonomyGate(every, auto, failing, ' pilot week ')).toEqual({ ok: true, justification: 'pilot week' });
    expect(autonomyGate(every, readOnly, failing, '')).toEqual({ ok: true, justification: null });
    expect(autonomyGate(every, { level: 'sampled_approval', samplePercent: 0 }, [], '').ok).toBe(false);
  });

  it('refuses without calling the backend, and sends the justification when typed', async () => {
    const invoke = fakeTauri(() => ({ before: {}, after: view(), failing: [] }));
    const failing = ['cost_bounded'];
    const msg = await submitAutonomy(view(), auto, failing, '');
    expect(typeof msg).toBe('string');
    expect(invoke).not.toHaveBeenCalled();
    await submitAutonomy(view(), auto, failing, 'pilot');
    expect(invoke).toHaveBeenCalledWith('set_workflow_autonomy', {
      backendId: 'b1',
      workflow: 'refund_request',
      level: 'autonomous_within_caps',
      samplePercent: 0,
      justification: 'pilot',
    }, undefined);
  });

  it('shows the prompt when the chosen level raises past a failing row; advisory is labelled', () => {
    const html = wrap(<AutonomyRowView view={view()} failing={['cost_bounded']} onSaved={() => {}} initial={auto} />);
    expect(html).toContain('data-testid="autonomy-justification"');
    expect(html).toContain('Reference &lt;b&gt;');
    const lower = wrap(<AutonomyRowView view={view()} failing={['cost_bounded']} onSaved={() => {}} initial={readOnly} />);
    expect(lower).not.toContain('data-testid="autonomy-justification"');
    const advisory = wrap(<AutonomyRowView view={view({ enforced: false })} failing={[]} onSaved={() => {}} />);
    expect(advisory).toContain('data-testid="autonomy-advisory"');
    expect(advisory).toContain('cannot enforce');
    const noAdmin = wrap(<AutonomyRowView view={view({ can_edit: false })} failing={[]} onSaved={() => {}} />);
    expect(noAdmin).toContain('data-testid="autonomy-readonly"');
    expect(noAdmin).not.toContain('data-testid="autonomy-select"');
  });
});
