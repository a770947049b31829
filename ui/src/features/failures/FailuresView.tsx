// Weekly failure review: this week's failed, escalated, denied and rolled-back runs with the
// bucket the rules suggest and why, confirm/change per run (audited), the trend per bucket and
// workflow over the last weeks, what moved since last week, the week as CSV, and the bucketing
// rules' tunables (admin).
import { useCallback, useState } from 'react';
import { failures } from '../../api';
import type { FailureBucket, FailureItem, FailureQuery } from '../../api/types';
import { FAILURE_BUCKETS } from '../../api/types';
import { useReportError } from '../../app/errors';
import { useStore } from '../../app/store';
import { useLoad } from '../../app/useLoad';
import { SafeText } from '../../components/SafeText';
import { ViewHeader } from '../../components/ViewHeader';
import { BUCKET_LABELS, shiftWeek, trendWorkflows } from './buckets';
import { ChangesList } from './ChangesList';
import { isAdmin } from '../trust/TrustView';
import { FailureTable } from './FailureTable';
import { RulesForm } from './RulesForm';
import { TrendChart, weekLabel } from './TrendChart';
import './failures.css';

const PAGE = 100;

export function FailuresView({ onOpenRun }: { onOpenRun: (backendId: string, runId: string) => void }) {
  const report = useReportError();
  const { backends } = useStore();
  const [week, setWeek] = useState<string | null>(null);
  const [workflow, setWorkflow] = useState('');
  const [bucket, setBucket] = useState<FailureBucket | ''>('');
  const [unreviewed, setUnreviewed] = useState(false);
  const [offset, setOffset] = useState(0);
  const [exported, setExported] = useState<string | null>(null);
  const query: FailureQuery = {
    week,
    workflow: workflow || null,
    bucket: bucket || null,
    unreviewed,
    limit: PAGE,
    offset,
  };
  const key = JSON.stringify(query);
  const page = useLoad(() => failures.week(query), key, 'Loading the failure review');
  const trend = useLoad(() => failures.trend(week, 8), week ?? 'now', 'Loading the failure trend');
  const shown = page.data?.week ?? null;

  const onSet = useCallback(
    async (it: FailureItem, b: FailureBucket) => {
      try {
        await failures.setBucket(it.backend_id, it.run_id, b);
        page.reload();
        trend.reload();
      } catch (e) {
        report(e, `Setting the bucket of ${it.run_id}`);
      }
    },
    [page, trend, report],
  );
  const go = (w: string | null) => {
    setWeek(w);
    setOffset(0);
    setExported(null);
  };
  const exportCsv = () => {
    failures
      .exportCsv({ ...query, limit: null, offset: null })
      .then((r) => setExported(`${r.rows} runs written to ${r.path}`))
      .catch((e) => report(e, 'Exporting the failure review'));
  };
  const total = page.data?.total ?? 0;

  return (
    <div className="failures-view" data-testid="failures-view">
      <ViewHeader
        title="Failure review"
        loadedAt={page.loadedAt}
        actions={
          <button type="button" data-testid="failure-export" onClick={exportCsv}>
            Export CSV
          </button>
        }
      />
      <div className="failure-controls" role="group" aria-label="Week and filters">
        <button type="button" data-testid="failure-prev-week" disabled={!shown} onClick={() => shown && go(shiftWeek(shown, -1))}>
          ← Previous week
        </button>
        <strong data-testid="failure-week">Week of {shown ? weekLabel(shown) : '…'} (UTC)</strong>
        <button type="button" data-testid="failure-next-week" disabled={week === null} onClick={() => shown && go(shiftWeek(shown, 1))}>
          Next week →
        </button>
        <button type="button" disabled={week === null} onClick={() => go(null)}>
          This week
        </button>
        <label>
          Workflow{' '}
          <select data-testid="failure-workflow" value={workflow} onChange={(e) => (setWorkflow(e.target.value), setOffset(0))}>
            <option value="">All</option>
            {(trend.data ? trendWorkflows(trend.data) : []).map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <label>
          Bucket{' '}
          <select data-testid="failure-bucket-filter" value={bucket} onChange={(e) => (setBucket(e.target.value as FailureBucket | ''), setOffset(0))}>
            <option value="">All</option>
            {FAILURE_BUCKETS.map((b) => (
              <option key={b} value={b}>
                {BUCKET_LABELS[b]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" data-testid="failure-unreviewed" checked={unreviewed} onChange={(e) => (setUnreviewed(e.target.checked), setOffset(0))} /> Not yet reviewed
        </label>
      </div>
      {exported ? (
        <p className="notice" data-testid="failure-exported">
          <SafeText text={exported} />
        </p>
      ) : null}
      <div className="failure-summary">
        {trend.data ? <ChangesList changes={trend.data.changes} workflow={workflow} /> : null}
        {trend.data ? <TrendChart trend={trend.data} workflow={workflow} /> : null}
      </div>
      <section>
        <h2>
          Runs to review{' '}
          <span className="muted" data-testid="failure-counts">
            {total} run{total === 1 ? '' : 's'}, {page.data?.reviewed ?? 0} reviewed
            {page.data && page.data.pending > 0 ? `, ${page.data.pending} still being sorted` : ''}
          </span>
        </h2>
        {page.data ? <FailureTable items={page.data.items} onSet={onSet} onOpenRun={onOpenRun} /> : null}
        {total > PAGE ? (
          <div className="pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Previous
            </button>
            <span>
              {offset + 1}–{Math.min(offset + PAGE, total)} of {total}
            </span>
            <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
              Next
            </button>
          </div>
        ) : null}
      </section>
      <RulesForm
        canEdit={isAdmin(backends)}
        onSaved={() => {
          page.reload();
          trend.reload();
        }}
      />
    </div>
  );
}
