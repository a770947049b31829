import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { golden } from '../../api';
import type { CaseComparison, Run } from '../../api/types';
import { VIEW_IDS } from '../../lib/viewState';
import { CaseRow, EvalError, FailingChecks, RunColumn, label } from './GoldenView';

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

const failing: CaseComparison = {
  case_id: 'run_0000042',
  eval_run_id: 'eval_x-00003',
  passed: false,
  reasons: ['citation deprecated of kb_100: "<b>30 days</b>"', 'cost $0.0300 over the ceiling $0.0150'],
  expected_outcome: 'success',
  outcome: 'success',
  outcome_match: true,
  expected_decision: 'refund_proposed',
  decision: 'refund_proposed',
  citation_match: false,
  citation_issues: [{ doc_id: 'kb_100', passage: '30 days', problem: 'deprecated' }],
  write_match: true,
  write_mismatches: [],
  policy_failures: 0,
  failed_checks: [],
  refused_or_escalated: false,
  cost_micros: 30_000,
  baseline_cost_micros: 10_000,
  max_cost_micros: 15_000,
  latency_ms: 1200,
  baseline_latency_ms: 1200,
  max_latency_ms: 1800,
};

describe('golden sets', () => {
  it('labels a configuration with its prompt and retrieval when named', () => {
    expect(label({ version: 'v3', model: 'm', prompt: '', retrieval: '' })).toBe('v3 / m');
    expect(label({ version: 'v3', model: 'm', prompt: 'refund-v8', retrieval: '' })).toBe('v3 / m / refund-v8');
    expect(label({ version: 'v3', model: 'm', prompt: '', retrieval: 'kb-11' })).toBe('v3 / m / kb-11');
    expect(label({ version: 'v3', model: 'm', prompt: 'p', retrieval: 'kb-11' })).toBe('v3 / m / p / kb-11');
  });

  it('shows the server error that stopped a replay as text, never markup', () => {
    const html = renderToStaticMarkup(<EvalError error={'stopped at case run_2: <b>connection refused</b>'} />);
    expect(html).toContain('data-testid="golden-report-error"');
    expect(html).toContain('golden_eval_failed');
    expect(html).toContain('&lt;b&gt;connection refused&lt;/b&gt;');
    expect(html).not.toContain('<b>connection');
  });

  it('is a view of its own', () => {
    expect(VIEW_IDS).toContain('golden');
  });

  it('sends the commands with camelCase arguments', async () => {
    const invoke = fakeTauri(() => []);
    await golden.addRuns([{ backend_id: 'b1', run_id: 'r1' }]);
    expect(invoke).toHaveBeenLastCalledWith('golden_add_runs', { runs: [{ backend_id: 'b1', run_id: 'r1' }], headroom: null }, undefined);
    await golden.startEval('refund_request', 'b1', { version: 'v3', model: 'legacy-kb-1', prompt: '', retrieval: '' }, null);
    expect(invoke).toHaveBeenLastCalledWith(
      'golden_start_eval',
      { workflow: 'refund_request', backendId: 'b1', config: { version: 'v3', model: 'legacy-kb-1', prompt: '', retrieval: '' }, baselineEval: null },
      undefined,
    );
    await golden.startLangGraphEval('refunds', 'lg1', 'asst-1', 2, { version: '', model: '', prompt: '', retrieval: '' }, null);
    expect(invoke).toHaveBeenLastCalledWith(
      'golden_start_langgraph_eval',
      {
        workflow: 'refunds',
        backendId: 'lg1',
        assistant: 'asst-1',
        assistantVersion: 2,
        config: { version: '', model: '', prompt: '', retrieval: '' },
        baselineEval: null,
      },
      undefined,
    );
    await golden.evalCase('e1', 'r1');
    expect(invoke).toHaveBeenLastCalledWith('golden_eval_case', { evalId: 'e1', caseId: 'r1' }, undefined);
    await golden.exportSet('refund_request');
    expect(invoke).toHaveBeenLastCalledWith('golden_export', { workflow: 'refund_request', version: null }, undefined);
  });

  it('shows a failing case with its reasons as text, never HTML', () => {
    const html = renderToStaticMarkup(
      <table>
        <tbody>
          <CaseRow c={failing} onOpen={() => {}} />
        </tbody>
      </table>,
    );
    expect(html).toContain('data-passed="false"');
    expect(html).toContain('fail');
    expect(html).toContain('&lt;b&gt;30 days&lt;/b&gt;');
    expect(html).not.toContain('<b>30 days</b>');
    expect(html).toContain('over the ceiling');
  });

  it('says a case stopped at its recorded review was judged by its proposed write', () => {
    const atReview: CaseComparison = {
      ...failing,
      passed: true,
      reasons: [],
      outcome: 'pending',
      expected_outcome: 'success',
      outcome_match: true,
      note: 'stopped at review, as recorded: approved',
    };
    const html = renderToStaticMarkup(
      <table>
        <tbody>
          <CaseRow c={atReview} onOpen={() => {}} />
        </tbody>
      </table>,
    );
    expect(html).toContain('data-testid="golden-case-note"');
    expect(html).toContain('stopped at review, as recorded: approved');
    expect(html).toContain('data-passed="true"');
    const plain = renderToStaticMarkup(
      <table>
        <tbody>
          <CaseRow c={failing} onOpen={() => {}} />
        </tbody>
      </table>,
    );
    expect(plain).not.toContain('golden-case-note');
  });

  it('lists the failing checks above the side-by-side columns, as text', () => {
    const html = renderToStaticMarkup(<FailingChecks row={failing} />);
    expect(html).toContain('data-count="2"');
    expect(html.match(/data-testid="side-failing-check"/g)).toHaveLength(2);
    expect(html).toContain('&lt;b&gt;30 days&lt;/b&gt;');
    expect(html).not.toContain('<b>');
    const passing = renderToStaticMarkup(<FailingChecks row={{ ...failing, passed: true, reasons: [] }} />);
    expect(passing).toContain('data-count="0"');
    expect(passing).toContain('every check passes');
    expect(passing).not.toContain('side-failing-check"');
  });

  it('marks a deprecated citation in the side-by-side column', () => {
    const run = {
      run_id: 'eval_x-00003',
      workflow: 'refund_request',
      workflow_version: 'v3',
      model: 'legacy-kb-1',
      outcome: 'success',
      decision: 'refund_proposed',
      cost_micros: 30_000,
      latency_ms: 1200,
      citations: [{ doc_id: 'kb_100', title: 'Refund policy (EU) - version 2', passage: 'within 30 days', deprecated: true }],
      changes: [{ system: 'billing', record_id: 'ord_1', field: 'refund', before: null, after: '40.00' }],
      policy_checks: [{ name: 'pii_redaction', passed: true }],
    } as unknown as Run;
    const html = renderToStaticMarkup(<RunColumn title="Eval" run={run} testId="side-eval" />);
    expect(html).toContain('data-deprecated="true"');
    expect(html).toContain('deprecated');
    expect(html).toContain('within 30 days');
    expect(renderToStaticMarkup(<RunColumn title="Eval" run={null} testId="side-eval" />)).toContain('No run reported.');
  });
});
