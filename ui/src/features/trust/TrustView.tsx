import { useMemo, useState } from 'react';
import { trustDrill, trustReport } from '../../api';
import type { DecisionRow, Dimension, Link, Metric, TrustQuery, TtdBin } from '../../api/types';
import { useReportError } from '../../app/errors';
import { useNow } from '../../app/useNow';
import { useLoad } from '../../app/useLoad';
import { useStore } from '../../app/store';
import { ViewHeader } from '../../components/ViewHeader';
import { Clipped } from '../../components/Clipped';
import type { RunFilters } from '../../lib/viewState';
import type { ViewId } from '../../lib/viewState';
import { ChartBox, type AnyChartConfig } from '../overview/ChartBox';
import { DrillList } from './DrillList';
import { DIMENSIONS, binLabel, binMetric, metricLabel, periodOf } from './format';
import { AutoExecutedTable, GroupTable, Totals, type OnDrill } from './ReportTables';
import { Readiness } from './Readiness';
import { SecondReviewPanel } from './SecondReviewPanel';

const PERIODS = [4, 12, 26] as const;

/** The time-to-decide distribution as a bar chart (click a bar to list its decisions). */
export function ttdChart(bins: TtdBin[], onBin: (b: TtdBin) => void): AnyChartConfig {
  return {
    type: 'bar',
    data: {
      labels: bins.map(binLabel),
      datasets: [
        { label: 'Under the minimum review time', data: bins.map((b) => b.too_fast), backgroundColor: '#b42318' },
        { label: 'Other decisions', data: bins.map((b) => b.count - b.too_fast), backgroundColor: '#2563eb' },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false as const,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
      plugins: { legend: { position: 'bottom' as const } },
      onClick: (_e: unknown, els: { index: number }[]) => {
        const b = els[0] ? bins[els[0].index] : undefined;
        if (b) onBin(b);
      },
    },
  };
}

/** The bins as text, each count clickable (the chart's accessible twin); a bin's "(N too fast)"
 * note opens those N decisions. */
export function TtdBins({ bins, onBin, onTooFast }: { bins: TtdBin[]; onBin: (b: TtdBin) => void; onTooFast: (b: TtdBin) => void }) {
  return (
    <ul className="plain-list small" data-testid="ttd-bins">
      {bins.map((b) => (
        <li key={b.from_ms}>
          {binLabel(b)}:{' '}
          <button type="button" className="link-button" data-testid="ttd-bin" data-count={b.count} onClick={() => onBin(b)}>
            {b.count.toLocaleString()}
          </button>
          {b.too_fast > 0 ? (
            <span className="muted">
              {' ('}
              <button type="button" className="link-button" data-testid="ttd-bin-too-fast" data-count={b.too_fast} onClick={() => onTooFast(b)}>
                {b.too_fast.toLocaleString()} too fast
              </button>
              {')'}
            </span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** Whether any backend's identity is an admin (may change the readiness thresholds). */
export function isAdmin(backends: { whoami: { roles: string[] } | null }[] | null | undefined): boolean {
  return (backends ?? []).some((b) => !!b.whoami && b.whoami.roles.includes('admin'));
}

export function TrustView({
  onOpenRun,
  onOpenRuns,
  onView,
}: {
  onOpenRun: (backendId: string, runId: string) => void;
  onOpenRuns: (filters: Partial<RunFilters>) => void;
  onView: (v: ViewId) => void;
}) {
  const report = useReportError();
  const { backends } = useStore();
  const now = useNow(60_000);
  const [weeks, setWeeks] = useState<(typeof PERIODS)[number]>(4);
  const [workflow, setWorkflow] = useState('');
  // The period is fixed when chosen, so the report and its drill-downs count the same decisions.
  const period = useMemo(() => periodOf(weeks, now), [weeks]); // eslint-disable-line react-hooks/exhaustive-deps
  const query: TrustQuery = useMemo(() => ({ from: period.from, to: period.to, workflow: workflow || null }), [period, workflow]);
  const rep = useLoad(() => trustReport(query), JSON.stringify(query), 'trust_report');
  const [drill, setDrill] = useState<{ title: string; rows: DecisionRow[] | null } | null>(null);

  const openDrill = (q: TrustQuery, group: [Dimension, string] | null, metric: Metric) => {
    const title = `${metricLabel(metric)}${group ? ` · ${group[1]}` : ''}`;
    setDrill({ title, rows: null });
    trustDrill({ query: q, group, metric })
      .then((rows) => setDrill((d) => (d && d.title === title ? { title, rows } : d)))
      .catch((e) => {
        setDrill(null);
        report(e, 'trust_drill');
      });
  };
  const onDrill: OnDrill = (group, metric) => openDrill(query, group, metric);
  const onBin = (b: TtdBin) => onDrill(null, binMetric(b));
  const onTooFast = (b: TtdBin) => onDrill(null, binMetric(b, true));
  const chart = useMemo(() => (rep.data ? ttdChart(rep.data.ttd_distribution, onBin) : null), [rep.data]); // eslint-disable-line react-hooks/exhaustive-deps

  const onLink = (l: Link) => {
    if (l.to === 'runs') onOpenRuns({ workflow: l.workflow, outcome: l.outcome ?? '', since: l.since, until: l.until });
    else if (l.to === 'decisions') openDrill({ from: period.from, to: period.to, workflow: l.workflow }, null, l.metric);
    else if (l.to === 'actions') onView('approvals');
    else onView('audit');
  };

  const r = rep.data;
  return (
    <section className="view trust" data-testid="trust-view">
      <ViewHeader title="Trust" loadedAt={rep.loadedAt} />
      <div className="filters">
        <span className="segmented" role="group" aria-label="Period">
          {PERIODS.map((w) => (
            <button key={w} type="button" className={`btn small${w === weeks ? ' active' : ''}`} aria-pressed={w === weeks} data-testid={`trust-weeks-${w}`} onClick={() => setWeeks(w)}>
              {w} weeks
            </button>
          ))}
        </span>
        <label className="field-inline">
          Workflow{' '}
          <select data-testid="trust-workflow" className="clipped-select" value={workflow} onChange={(e) => setWorkflow(e.target.value)}>
            <option value="">All</option>
            {(r?.by_workflow ?? []).map((g) => (
              <option key={g.key} value={g.key}>
                {g.key}
              </option>
            ))}
          </select>
        </label>
        {workflow ? <Clipped text={workflow} /> : null}
      </div>
      {drill ? <DrillList title={drill.title} rows={drill.rows} onOpenRun={onOpenRun} onClose={() => setDrill(null)} /> : null}
      {r ? (
        <>
          <Totals s={r.totals} onDrill={onDrill} />
          <AutoExecutedTable items={r.executed_without_review} onDrill={onDrill} />
          <section className="detail-section" data-testid="trust-ttd">
            <h3>Time to decide</h3>
            {chart ? <ChartBox config={chart} testId="trust-ttd-chart" label="Time-to-decide distribution" /> : null}
            <TtdBins bins={r.ttd_distribution} onBin={onBin} onTooFast={onTooFast} />
          </section>
          {DIMENSIONS.map((d) => (
            <GroupTable
              key={d.id}
              dim={d.id}
              label={d.label}
              groups={d.id === 'workflow' ? r.by_workflow : d.id === 'action_kind' ? r.by_action_kind : d.id === 'reviewer' ? r.by_reviewer : r.by_week}
              onDrill={onDrill}
            />
          ))}
        </>
      ) : rep.loading ? (
        <p className="muted">Loading…</p>
      ) : null}
      <SecondReviewPanel />
      <Readiness from={period.from} to={period.to} canEdit={isAdmin(backends)} onLink={onLink} />
    </section>
  );
}
