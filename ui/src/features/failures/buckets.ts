// Names and colours of the failure-review buckets, and the chart series of the weekly trend.
import type { FailureBucket, FailureTrend, WeekCount } from '../../api/types';
import { FAILURE_BUCKETS } from '../../api/types';

export const BUCKET_LABELS: Readonly<Record<FailureBucket, string>> = {
  stale_retrieval: 'Stale retrieval',
  permission_boundary: 'Permission boundary',
  connector_outage: 'Connector outage',
  bad_threshold: 'Bad threshold',
  loose_policy: 'Loose policy',
  model_error: 'Model error',
  other: 'Other',
};

export const BUCKET_COLORS: Readonly<Record<FailureBucket, string>> = {
  stale_retrieval: '#b54708',
  permission_boundary: '#6941c6',
  connector_outage: '#b42318',
  bad_threshold: '#0e7090',
  loose_policy: '#c11574',
  model_error: '#344054',
  other: '#98a2b3',
};

export interface TrendSeries {
  /** Week starts (RFC 3339, Monday 00:00 UTC), oldest first. */
  weeks: string[];
  /** One series per bucket with any runs, in bucket order; `runs[i]` belongs to `weeks[i]`. */
  series: { bucket: FailureBucket; runs: number[] }[];
  /** Runs per week over every bucket. */
  totals: number[];
}

/** Runs per bucket per week, for one workflow or all (`''`). Weeks with no rows count 0. */
export function trendSeries(trend: FailureTrend, workflow: string): TrendSeries {
  const index = new Map(trend.weeks.map((w, i) => [Date.parse(w), i]));
  const by = new Map<FailureBucket, number[]>();
  const totals = trend.weeks.map(() => 0);
  const keep = (c: WeekCount) => workflow === '' || c.workflow === workflow;
  for (const c of trend.counts.filter(keep)) {
    const i = index.get(Date.parse(c.week));
    if (i === undefined) continue;
    const row = by.get(c.bucket) ?? trend.weeks.map(() => 0);
    row[i] = (row[i] ?? 0) + c.runs;
    totals[i] = (totals[i] ?? 0) + c.runs;
    by.set(c.bucket, row);
  }
  const series = FAILURE_BUCKETS.filter((b) => by.has(b)).map((b) => ({ bucket: b, runs: by.get(b) ?? [] }));
  return { weeks: trend.weeks, series, totals };
}

/** The workflows present in the trend, sorted. */
export function trendWorkflows(trend: FailureTrend): string[] {
  return [...new Set(trend.counts.map((c) => c.workflow))].sort();
}

/** The week start `weeks` weeks after (or before, negative) `week`, as RFC 3339 UTC. */
export function shiftWeek(week: string, weeks: number): string {
  const t = Date.parse(week);
  if (Number.isNaN(t)) return week;
  return new Date(t + weeks * 7 * 86_400_000).toISOString();
}
