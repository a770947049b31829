// The failure review view: evidence shown as text, confirm/change per run, trend and changes.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { BucketChange, FailureItem, FailureTrend } from '../../api/types';
import { FAILURE_BUCKETS } from '../../api/types';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { BUCKET_LABELS, shiftWeek, trendSeries, trendWorkflows } from './buckets';
import { ChangesList } from './ChangesList';
import { FailureTable, effectiveBucket } from './FailureTable';
import { TrendChart } from './TrendChart';

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

const item = (over: Partial<FailureItem> = {}): FailureItem => ({
  backend_id: 'b1',
  run_id: 'run_1',
  workflow: 'support_triage',
  user_id: 'u1',
  outcome: 'escalated',
  decision: 'escalated_to_human',
  started_at: '2026-04-15T10:00:00Z',
  suggested: 'bad_threshold',
  evidence: [
    { signal: 'confidence_near_cut', bucket: 'bad_threshold', detail: 'confidence 0.67 just under the cut 0.70 (margin 0.05)' },
    { signal: 'policy_check_failed', bucket: 'loose_policy', detail: 'pii: <img src=x onerror=alert(1)>' },
  ],
  bucket: null,
  reviewed_by: null,
  reviewed_at: null,
  ...over,
});

const trend: FailureTrend = {
  weeks: ['2026-03-30T00:00:00Z', '2026-04-06T00:00:00Z', '2026-04-13T00:00:00Z'],
  counts: [
    { week: '2026-03-30T00:00:00Z', workflow: 'refund_request', bucket: 'loose_policy', runs: 4 },
    { week: '2026-04-06T00:00:00Z', workflow: 'support_triage', bucket: 'stale_retrieval', runs: 10 },
    { week: '2026-04-13T00:00:00Z', workflow: 'support_triage', bucket: 'stale_retrieval', runs: 3 },
    { week: '2026-04-13T00:00:00Z', workflow: 'refund_request', bucket: 'connector_outage', runs: 9 },
    { week: '2026-04-13T00:00:00Z', workflow: 'support_triage', bucket: 'connector_outage', runs: 1 },
  ],
  changes: [],
};

describe('failure table', () => {
  it('shows the suggestion and its evidence as text, never as HTML', () => {
    const html = wrap(<FailureTable items={[item()]} onSet={async () => {}} onOpenRun={() => {}} />);
    expect(html).toContain('data-testid="failure-row"');
    expect(html).toContain('data-bucket="bad_threshold"');
    expect(html).toContain('confidence 0.67 just under the cut 0.70');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // Evidence pointing elsewhere is labelled with its bucket.
    expect(html).toContain('Loose policy: ');
    // Every bucket is offered; the suggestion is marked and selected; the action is Confirm.
    for (const b of FAILURE_BUCKETS) expect(html).toContain(`value="${b}"`);
    expect(html).toMatch(/<option value="bad_threshold" selected="">Bad threshold \(suggested\)<\/option>/);
    expect(html).toMatch(/data-testid="failure-bucket-set"[^>]*>Confirm</);
  });

  it('a reviewed run shows the operator bucket, who set it, and cannot be re-set unchanged', () => {
    const it0 = item({ bucket: 'connector_outage', reviewed_by: 'console', reviewed_at: '2026-04-16T09:00:00Z' });
    expect(effectiveBucket(it0)).toBe('connector_outage');
    const html = wrap(<FailureTable items={[it0]} onSet={async () => {}} onOpenRun={() => {}} />);
    expect(html).toContain('data-bucket="connector_outage"');
    expect(html).toContain('data-testid="failure-reviewed"');
    expect(html).toContain('Connector outage by console');
    expect(html).toMatch(/data-testid="failure-bucket-set" disabled=""/);
  });

  it('says so when the week has nothing to review', () => {
    expect(wrap(<FailureTable items={[]} onSet={async () => {}} onOpenRun={() => {}} />)).toContain('data-testid="failure-empty"');
  });
});

describe('trend', () => {
  it('builds one series per bucket with zeros for quiet weeks, for all workflows or one', () => {
    const all = trendSeries(trend, '');
    expect(all.series.map((s) => s.bucket)).toEqual(['stale_retrieval', 'connector_outage', 'loose_policy']);
    expect(all.series[0]?.runs).toEqual([0, 10, 3]);
    expect(all.series[1]?.runs).toEqual([0, 0, 10]);
    expect(all.totals).toEqual([4, 10, 13]);
    const triage = trendSeries(trend, 'support_triage');
    expect(triage.series.map((s) => [s.bucket, s.runs])).toEqual([
      ['stale_retrieval', [0, 10, 3]],
      ['connector_outage', [0, 0, 1]],
    ]);
    expect(trendWorkflows(trend)).toEqual(['refund_request', 'support_triage']);
  });

  it('renders the numbers as a table beside the chart, weeks by their UTC Monday', () => {
    const html = wrap(<TrendChart trend={trend} workflow="" />);
    expect(html).toContain('data-testid="failure-trend-chart"');
    expect(html).toContain('<th scope="col">2026-04-13</th>');
    expect(html).toMatch(/data-bucket="connector_outage"><th scope="row">Connector outage<\/th><td class="num">0<\/td><td class="num">0<\/td><td class="num">10<\/td>/);
  });

  it('moves a week at a time in UTC', () => {
    expect(shiftWeek('2026-04-13T00:00:00Z', -1)).toBe('2026-04-06T00:00:00.000Z');
    expect(shiftWeek('2026-04-13T00:00:00Z', 1)).toBe('2026-04-20T00:00:00.000Z');
  });
});

describe('changes since last week', () => {
  const changes: BucketChange[] = [
    { workflow: 'refund_request', bucket: 'connector_outage', last_week: 0, this_week: 9 },
    { workflow: 'support_triage', bucket: 'stale_retrieval', last_week: 10, this_week: 3 },
  ];
  it('lists moves with direction, new and gone buckets, filtered by workflow', () => {
    const html = wrap(<ChangesList changes={changes} workflow="" />);
    expect(html).toContain(`${BUCKET_LABELS.connector_outage} 0 → 9`);
    expect(html).toContain('(+9, new)');
    expect(html).toContain('(−7)');
    const one = wrap(<ChangesList changes={changes} workflow="support_triage" />);
    expect(one).not.toContain('connector_outage');
    expect(wrap(<ChangesList changes={[]} workflow="" />)).toContain('No bucket moved.');
  });
});
