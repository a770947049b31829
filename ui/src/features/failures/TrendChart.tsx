import { useMemo } from 'react';
import type { FailureTrend } from '../../api/types';
import { SafeText } from '../../components/SafeText';
import { ChartBox, type AnyChartConfig } from '../overview/ChartBox';
import { BUCKET_COLORS, BUCKET_LABELS, trendSeries } from './buckets';

/** Review weeks are UTC weeks (Monday 00:00 UTC); labelled by their Monday's UTC date. */
export function weekLabel(week: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(week) ? week.slice(0, 10) : week;
}

/** Stacked bars of runs per bucket per week, with the same numbers as a table beneath. */
export function TrendChart({ trend, workflow }: { trend: FailureTrend; workflow: string }) {
  const s = useMemo(() => trendSeries(trend, workflow), [trend, workflow]);
  const config = useMemo<AnyChartConfig>(
    () => ({
      type: 'bar',
      data: {
        labels: s.weeks.map(weekLabel),
        datasets: s.series.map((x) => ({
          label: BUCKET_LABELS[x.bucket],
          data: x.runs,
          backgroundColor: BUCKET_COLORS[x.bucket],
          stack: 'runs',
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
      },
    }),
    [s],
  );
  return (
    <section className="failure-trend" data-testid="failure-trend">
      <h3>
        Trend per bucket (weeks from Monday 00:00 UTC){workflow ? ' — ' : ''}
        <SafeText text={workflow || null} />
      </h3>
      <ChartBox config={config} testId="failure-trend-chart" label="Failed runs per bucket per week" />
      <table className="data compact" data-testid="failure-trend-table">
        <thead>
          <tr>
            <th scope="col">Bucket</th>
            {s.weeks.map((w) => (
              <th scope="col" key={w}>
                {weekLabel(w)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {s.series.map((x) => (
            <tr key={x.bucket} data-bucket={x.bucket}>
              <th scope="row">{BUCKET_LABELS[x.bucket]}</th>
              {x.runs.map((n, i) => (
                <td key={i} className="num">
                  {n}
                </td>
              ))}
            </tr>
          ))}
          <tr>
            <th scope="row">All</th>
            {s.totals.map((n, i) => (
              <td key={i} className="num">
                {n}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </section>
  );
}
