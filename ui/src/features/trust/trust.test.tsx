import { isValidElement, type ReactElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  exportScorecards,
  readinessScorecard,
  recordCitationOpen,
  recordSecondReview,
  setReadinessThresholds,
  trustDrill,
  trustReport,
} from '../../api';
import type { DecisionRow, PendingAction, Scorecard, Thresholds, TrustReport, TrustStats } from '../../api/types';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { Citations } from '../../components/Citations';
import { ExternalLink } from '../../components/ExternalLink';
import { citation } from '../../components/testing';
import { citationOpener } from '../../lib/citationOpen';
import { VIEW_IDS } from '../../lib/viewState';
import { DrillList } from './DrillList';
import { binLabel, binMetric, COLUMNS, metricLabel, ms, pct } from './format';
import { Readiness, ScorecardTable, ThresholdsForm, parseThresholds } from './Readiness';
import { AutoExecutedTable, GroupTable, Num, Percentile, StatCells, Totals } from './ReportTables';
import { SecondReviewCard } from './SecondReviewPanel';
import { TrustView, TtdBins, isAdmin, ttdChart } from './TrustView';

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

const stats = (over: Partial<TrustStats> = {}): TrustStats => ({
  decisions: 10,
  approve: 5,
  approve_with_edits: 2,
  deny: 2,
  escalate: 1,
  expired: 3,
  approvals: 7,
  corrected: 2,
  correction_rate: 2 / 7,
  top_corrected_fields: [{ field: 'amount', count: 2 }],
  timed: 9,
  p50_ms: 12_000,
  p90_ms: 95_000,
  too_fast: 1,
  too_fast_rate: 1 / 9,
  escalation_rate: 0.1,
  citation_opens: 6,
  citation_opens_per_decision: 0.6,
  with_citation_opens: 4,
  rolled_back: 1,
  second_reviews: 2,
  disagreements: 1,
  disagreement_rate: 0.5,
  auto_executed: 0,
  ...over,
});

const thresholds: Thresholds = {
  second_review_share: 0.05,
  reversible_pass: 1,
  reversible_warn: 0.9,
  citation_coverage_pass: 0.9,
  citation_coverage_warn: 0.7,
  stale_citation_max: 0.05,
  cost_increase_max: 0.25,
  escalation_band: 0.1,
  disagreement_max: 0.1,
  correction_max: 0.2,
  too_fast_max: 0.05,
  sync_gap_hours: 24,
};

const card: Scorecard = {
  workflow: 'refunds\u202E',
  from: '2026-10-30T00:00:00Z',
  to: '2026-11-27T00:00:00Z',
  status: 'fail',
  thresholds,
  rows: [
    { criterion: 'reversible', status: 'pass', evidence: [{ label: 'Writes with rollback', value: '12 of 12', status: 'pass' }], link: { to: 'actions', workflow: 'refunds', statuses: ['executed'] } },
    { criterion: 'trust', status: 'fail', evidence: [{ label: 'Disagreement rate', value: '<b>50%</b>', status: 'fail' }], link: { to: 'decisions', workflow: 'refunds', metric: { metric: 'disagreed' } } },
  ],
};

/** The elements of a tree whose type is `type`. */
function find(node: ReactNode, type: unknown, out: ReactElement[] = []): ReactElement[] {
  if (Array.isArray(node)) node.forEach((n) => find(n, type, out));
  else if (isValidElement(node)) {
    if (node.type === type) out.push(node);
    find((node.props as { children?: ReactNode }).children, type, out);
  }
  return out;
}

describe('trust client', () => {
  it('sends the Rust argument names', async () => {
    const invoke = fakeTauri(() => null);
    const query = { from: '2026-11-01T00:00:00Z', to: null, workflow: 'refunds' };
    await trustReport(query);
    expect(invoke).toHaveBeenLastCalledWith('trust_report', { query }, undefined);
    await trustDrill({ query, group: ['reviewer', 'ana'], metric: { metric: 'too_fast' } });
    expect(invoke).toHaveBeenLastCalledWith('trust_drill', { drill: { query, group: ['reviewer', 'ana'], metric: { metric: 'too_fast' } } }, undefined);
    await recordCitationOpen('b1', 'r1', null, 'kb/1', 'source');
    expect(invoke).toHaveBeenLastCalledWith('record_citation_open', { backendId: 'b1', runId: 'r1', actionId: null, docId: 'kb/1', target: 'source' }, undefined);
    await recordSecondReview(7, false, 'no');
    expect(invoke).toHaveBeenLastCalledWith('record_second_review', { decisionId: 7, wouldApprove: false, note: 'no' }, undefined);
    await readinessScorecard('refunds');
    expect(invoke).toHaveBeenLastCalledWith('readiness_scorecard', { workflow: 'refunds', from: null, to: null }, undefined);
    await exportScorecards('csv');
    expect(invoke).toHaveBeenLastCalledWith('export_scorecards', { from: null, to: null, format: 'csv' }, undefined);
    await setReadinessThresholds(thresholds);
    expect(invoke).toHaveBeenLastCalledWith('set_readiness_thresholds', { thresholds }, undefined);
  });
});

describe('citation opens', () => {
  it('citationOpener records the open with the run and the action under review', async () => {
    const invoke = fakeTauri(() => null);
    citationOpener('b1', 'run_1', 'act_1')('kb/refunds', 'passage');
    await Promise.resolve();
    expect(invoke).toHaveBeenCalledWith('record_citation_open', { backendId: 'b1', runId: 'run_1', actionId: 'act_1', docId: 'kb/refunds', target: 'passage' }, undefined);
  });

  it('a failed record does not throw', async () => {
    fakeTauri(() => {
      throw { code: 'internal', message: 'x' };
    });
    expect(() => citationOpener('b1', 'r')('d', 'source')).not.toThrow();
    await new Promise((r) => setTimeout(r, 0));
  });

  it('Citations hands its source links an onOpen that records the source open', async () => {
    const invoke = fakeTauri(() => null);
    const tree = Citations({ citations: [{ ...citation, url: 'https://kb.example/doc' }], onOpen: citationOpener('b1', 'run_1') });
    const links = find(tree, ExternalLink);
    expect(links).toHaveLength(1);
    (links[0]!.props as { onOpen?: () => void }).onOpen?.();
    await Promise.resolve();
    expect(invoke).toHaveBeenCalledWith('record_citation_open', { backendId: 'b1', runId: 'run_1', actionId: null, docId: citation.doc_id, target: 'source' }, undefined);
  });
});

describe('trust view', () => {
  it('is a nav view', () => {
    expect(VIEW_IDS).toContain('trust');
  });

  it('formats rates and durations', () => {
    expect(pct(null)).toBe('—');
    expect(pct(0.125)).toBe('12.5%');
    expect(ms(850)).toBe('850 ms');
    expect(ms(12_000)).toBe('12 s');
    expect(binLabel({ from_ms: 10_000, to_ms: 30_000, count: 1, too_fast: 0 })).toBe('10 s – 30 s');
    expect(binLabel({ from_ms: 3_600_000, to_ms: null, count: 1, too_fast: 0 })).toBe('≥ 1.0 h');
    expect(metricLabel({ metric: 'kind', kind: 'deny' })).toBe('Denied');
    expect(metricLabel({ metric: 'corrected', field: 'amount' })).toBe('Corrected field amount');
  });

  it('totals: every count is a drill-down button', () => {
    const html = wrap(<Totals s={stats()} onDrill={() => {}} />);
    for (const c of COLUMNS) expect(html).toContain(`data-testid="drill-${c.id}"`);
    expect(html).toContain('data-testid="drill-expired" data-count="3"');
    expect(html).toContain('28.6%');
    expect(html).toContain('data-testid="trust-top-fields"');
  });

  it('drill buttons open the decisions of their group and metric', () => {
    const calls: unknown[] = [];
    const tree = GroupTable({ dim: 'reviewer', label: 'Per reviewer', groups: [{ key: 'ana', stats: stats() }], onDrill: (gr, m) => calls.push([gr, m]) });
    const html = wrap(tree);
    expect(html).toContain('data-testid="trust-group" data-key="ana"');
    expect(html).toContain('Reviewer');
    const cells = find(tree, StatCells);
    expect(cells).toHaveLength(1);
    const nums = find(StatCells(cells[0]!.props as Parameters<typeof StatCells>[0]), Num);
    expect(nums).toHaveLength(COLUMNS.length);
    const deny = nums.find((n) => (n.props as { testId: string }).testId === 'drill-deny')!;
    (deny.props as { onClick: () => void }).onClick();
    expect(calls).toEqual([[['reviewer', 'ana'], { metric: 'kind', kind: 'deny' }]]);
    // The percentiles open the decisions decided within them.
    const pcts = find(StatCells(cells[0]!.props as Parameters<typeof StatCells>[0]), Percentile);
    expect(pcts).toHaveLength(2);
    const p90 = Percentile(pcts[1]!.props as Parameters<typeof Percentile>[0]);
    const s = stats();
    expect(wrap(p90)).toContain('data-testid="drill-p90"');
    (p90 as { props: { onClick: () => void } }).props.onClick();
    expect(calls[1]).toEqual([['reviewer', 'ana'], { metric: 'time_to_decide', from_ms: 0, to_ms: (s.p90_ms ?? 0) + 1 }]);
    expect(wrap(<Percentile v={null} testId="x" onOpen={() => {}} />)).toBe('—');
  });

  it('group keys are text, never HTML; weeks are times', () => {
    const html = wrap(<GroupTable dim="workflow" label="Per workflow" groups={[{ key: '<img src=x>', stats: stats() }]} onDrill={() => {}} />);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x&gt;');
    const weeks = wrap(<GroupTable dim="week" label="Per week" groups={[{ key: '2026-11-23T00:00:00Z', stats: stats() }]} onDrill={() => {}} />);
    expect(weeks).toContain('<time');
    expect(wrap(<GroupTable dim="reviewer" label="Per reviewer" groups={[]} onDrill={() => {}} />)).toContain('No decisions.');
  });

  it('time-to-decide: chart data stacks too-fast decisions; bins are clickable', () => {
    const bins = [
      { from_ms: 0, to_ms: 10_000, count: 4, too_fast: 3 },
      { from_ms: 10_000, to_ms: null, count: 6, too_fast: 0 },
    ];
    const opened: unknown[] = [];
    const cfg = ttdChart(bins, (b) => opened.push(b));
    expect(cfg.data.datasets[0]!.data).toEqual([3, 0]);
    expect(cfg.data.datasets[1]!.data).toEqual([1, 6]);
    (cfg.options as { onClick: (e: unknown, els: { index: number }[]) => void }).onClick(null, [{ index: 1 }]);
    expect(opened).toEqual([bins[1]]);
    const html = wrap(<TtdBins bins={bins} onBin={() => {}} onTooFast={() => {}} />);
    expect(html.match(/data-testid="ttd-bin"/g)).toHaveLength(2);
    // The "(3 too fast)" note is a button of its own; a bin with none has no note.
    expect(html.match(/data-testid="ttd-bin-too-fast"/g)).toHaveLength(1);
    expect(html).toContain('data-testid="ttd-bin-too-fast" data-count="3"');
    const tooFast: unknown[] = [];
    const tree = TtdBins({ bins, onBin: (b) => opened.push(b), onTooFast: (b) => tooFast.push(b) });
    const buttons = find(tree, 'button');
    expect(buttons).toHaveLength(3);
    const note = buttons.find((b) => (b.props as Record<string, unknown>)['data-testid'] === 'ttd-bin-too-fast')!;
    (note.props as { onClick: () => void }).onClick();
    expect(tooFast).toEqual([bins[0]]);
    expect(opened).toEqual([bins[1]]);
    expect(binMetric(bins[0]!, true)).toEqual({ metric: 'too_fast_to_decide', from_ms: 0, to_ms: 10_000 });
    expect(binMetric(bins[1]!)).toEqual({ metric: 'time_to_decide', from_ms: 10_000, to_ms: null });
    expect(metricLabel(binMetric(bins[0]!, true))).toBe('Too fast, time to decide 0 ms – 10 s');
  });

  it('writes executed without review: per workflow and level, each count opens them', () => {
    const calls: unknown[] = [];
    const items = [
      { workflow: 'crm', level: 'autonomous_within_caps', count: 2 },
      { workflow: '<b>refund</b>', level: 'sampled_approval', count: 5 },
    ];
    const tree = AutoExecutedTable({ items, onDrill: (gr, m) => calls.push([gr, m]) });
    const html = wrap(tree);
    expect(html.match(/data-testid="trust-auto-row"/g)).toHaveLength(2);
    expect(html).toContain('Autonomous within caps');
    expect(html).toContain('Sampled approval');
    expect(html).toContain('data-testid="drill-auto-executed" data-count="5"');
    expect(html).not.toContain('<b>refund');
    const nums = find(tree, Num);
    expect(nums).toHaveLength(2);
    (nums[1]!.props as { onClick: () => void }).onClick();
    expect(calls).toEqual([[['workflow', '<b>refund</b>'], { metric: 'auto_executed', level: 'sampled_approval' }]]);
    expect(metricLabel({ metric: 'auto_executed', level: 'sampled_approval' })).toBe('Executed without review (sampled_approval)');
    expect(wrap(<AutoExecutedTable items={[]} onDrill={() => {}} />)).toContain('None: a reviewer decided every write');
  });

  it('drill list shows decisions with their second opinion', () => {
    const row: DecisionRow = {
      id: 1,
      backend_id: 'b1',
      action_id: 'act_1',
      run_id: 'run_1',
      workflow: 'refunds',
      action_kind: 'issue_refund',
      reviewer: 'ana',
      decision: 'approve',
      decided_at: '2026-11-25T15:00:00Z',
      time_to_decide_ms: 1500,
      too_fast: true,
      corrected_fields: ['amount'],
      citation_opens: 2,
      action_status: 'rolled_back',
      second_would_approve: false,
      second_disagrees: true,
    };
    const html = wrap(<DrillList title="Too fast" rows={[row]} onOpenRun={() => {}} onClose={() => {}} />);
    expect(html).toContain('data-testid="trust-drill-row" data-action-id="act_1"');
    expect(html).toContain('too fast');
    expect(html).toContain('disagrees');
    expect(html).toContain('<time');
    expect(wrap(<DrillList title="x" rows={null} onOpenRun={() => {}} onClose={() => {}} />)).toContain('Loading');
  });

  it('second review is blind: the first decision is not shown', () => {
    const action: PendingAction = {
      action_id: 'act_1',
      revision: 1,
      run_id: 'run_1',
      tenant: 'acme',
      kind: 'issue_refund',
      title: 'Refund ord_1',
      target: { system: 'billing', record_id: 'ord_1' },
      risk: 'high',
      fields: [{ name: 'amount', label: 'Amount', kind: 'money', value: '120.00', confirm: 'reenter', editable: true, required: true }],
      proposed: null,
      rationale: 'because',
      confidence: 0.8,
      policy_checks: [],
      deny_reasons: [],
      rollback_supported: true,
      status: 'approved',
      requested_at: '2026-11-25T15:00:00Z',
      expires_at: '2099-11-25T16:00:00Z',
      updated_at: '2026-11-25T15:00:00Z',
    };
    const html = wrap(<SecondReviewCard item={{ decision_id: 9, backend_id: 'b1', action }} busy={false} onAnswer={() => {}} />);
    expect(html).toContain('data-decision-id="9"');
    expect(html).toContain('Would you have approved?');
    expect(html).toContain('data-testid="second-review-yes"');
    expect(html).toContain('data-testid="second-review-no"');
    expect(html).not.toMatch(/approved<|status-approved/);
  });

  it('scorecard rows carry status, evidence as text and a link', () => {
    const html = wrap(<ScorecardTable card={card} onLink={() => {}} />);
    expect(html).toContain('data-testid="scorecard" data-workflow="refunds\u202E" data-status="fail"');
    expect(html).toContain('data-criterion="trust" data-status="fail"');
    expect(html).toContain('&lt;b&gt;50%&lt;/b&gt;');
    expect(html).toContain('data-to="decisions"');
    expect(html).toContain('data-to="actions"');
    expect(html).toContain('hidden-char');
  });

  it('thresholds: read-only unless admin; percent fields parse to fractions', () => {
    const ro = wrap(<ThresholdsForm thresholds={thresholds} canEdit={false} onSaved={() => {}} />);
    expect(ro).toContain('data-testid="thresholds-readonly"');
    expect(ro).not.toContain('data-testid="thresholds-save"');
    const rw = wrap(<ThresholdsForm thresholds={thresholds} canEdit onSaved={() => {}} />);
    expect(rw).toContain('data-testid="thresholds-save"');
    expect(rw).toMatch(/data-testid="threshold-correction_max" value="20"/);
    const draft = Object.fromEntries(Object.entries(thresholds).map(([k, v]) => [k, k === 'sync_gap_hours' ? String(v) : String(v * 100)]));
    const parsed = parseThresholds({ ...draft, disagreement_max: '15' }, thresholds);
    expect(parsed).toEqual({ ...thresholds, disagreement_max: 0.15 });
    expect(parseThresholds({ ...draft, too_fast_max: 'x' }, thresholds)).toMatch(/Too-fast/);
    expect(isAdmin([{ whoami: { roles: ['reviewer'] } }, { whoami: null }])).toBe(false);
    expect(isAdmin([{ whoami: { roles: ['admin'] } }])).toBe(true);
  });

  it('renders the view shell with the period, second review and readiness sections', () => {
    const html = wrap(<TrustView onOpenRun={() => {}} onOpenRuns={() => {}} onView={() => {}} />);
    expect(html).toContain('data-testid="trust-view"');
    expect(html).toContain('data-testid="trust-weeks-4"');
    expect(html).toContain('data-testid="second-review"');
    expect(html).toContain('data-testid="readiness"');
    expect(html).toContain('data-testid="readiness-export-csv"');
    const r = wrap(<Readiness from="a" to="b" canEdit={false} onLink={() => {}} />);
    expect(r).toContain('data-testid="readiness-export-json"');
  });
});

// Report typing check: a full report renders in the tables.
export const _report: TrustReport | null = null;
