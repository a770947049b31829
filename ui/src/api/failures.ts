// Weekly failure review: the week's runs with suggested buckets, the trend, an operator's
// bucket (audited), the CSV export and the bucketing rules' tunables (admin, audited). Every function rejects with an ApiError `{code, message}`.
import { call } from './call';
import type { BucketSet, CsvExport, FailureBucket, FailurePage, FailureQuery, FailureRules, FailureTrend } from './types';

/** Command names as the Rust side registers them. */
export const FAILURE_COMMANDS = {
  week: 'failure_week',
  trend: 'failure_trend',
  setBucket: 'set_failure_bucket',
  exportCsv: 'export_failures_csv',
  getRules: 'get_failure_rules',
  setRules: 'set_failure_rules',
} as const;

/** One page of the week's runs to review (the week holding `query.week`, default this one). */
export function week(query: FailureQuery): Promise<FailurePage> {
  return call(FAILURE_COMMANDS.week, { query });
}

/** Runs per week, workflow and bucket for `weeks` weeks ending with the one holding `until`. */
export function trend(until: string | null, weeks: number): Promise<FailureTrend> {
  return call(FAILURE_COMMANDS.trend, { until, weeks });
}

/** Confirms or changes a run's bucket; recorded in the audit trail with before → after. */
export function setBucket(backendId: string, runId: string, bucket: FailureBucket): Promise<BucketSet> {
  return call(FAILURE_COMMANDS.setBucket, { backendId, runId, bucket });
}

/** Writes the week's runs matching the filters (all pages) as CSV; returns where. */
export function exportCsv(query: FailureQuery): Promise<CsvExport> {
  return call(FAILURE_COMMANDS.exportCsv, { query });
}

/** The failure-bucketing rules' tunables in force (defaults when unset). */
export function getRules(): Promise<FailureRules> {
  return call(FAILURE_COMMANDS.getRules, {});
}

/** Saves the rules' tunables (admin only, audited before → after); reviewed runs are suggested again. */
export function setRules(rules: FailureRules): Promise<FailureRules> {
  return call(FAILURE_COMMANDS.setRules, { rules });
}
