// Client for the trust view and the readiness scorecard: the trust report and its drill-downs,
// citation opens, blind second reviews, scorecards, their export and the audited thresholds.
// Every function rejects with an ApiError `{code, message}`.
import { call } from './call';
import type {
  AutonomyChange,
  AutonomyLevel,
  AutonomyView,
  CitationTarget,
  DecisionRow,
  DrillQuery,
  Scorecard,
  SecondReviewItem,
  Thresholds,
  TrustQuery,
  TrustReport,
} from './types';

/** Command names as the Rust side registers them. */
export const TRUST_COMMANDS = {
  trustReport: 'trust_report',
  trustDrill: 'trust_drill',
  recordCitationOpen: 'record_citation_open',
  secondReviewQueue: 'second_review_queue',
  recordSecondReview: 'record_second_review',
  readinessWorkflows: 'readiness_workflows',
  readinessScorecard: 'readiness_scorecard',
  exportScorecards: 'export_scorecards',
  getReadinessThresholds: 'get_readiness_thresholds',
  setReadinessThresholds: 'set_readiness_thresholds',
} as const;

/** The trust numbers of the decisions `query` selects. */
export function trustReport(query: TrustQuery): Promise<TrustReport> {
  return call(TRUST_COMMANDS.trustReport, { query });
}

/** The decisions behind one number of the report (at most 500). */
export function trustDrill(drill: DrillQuery): Promise<DecisionRow[]> {
  return call(TRUST_COMMANDS.trustDrill, { drill });
}

/** Records that the reviewer opened a cited passage or its source (audited; counted per decision). */
export async function recordCitationOpen(
  backendId: string,
  runId: string,
  actionId: string | null,
  docId: string,
  target: CitationTarget,
): Promise<void> {
  await call<null>(TRUST_COMMANDS.recordCitationOpen, { backendId, runId, actionId, docId, target });
}

/** Sampled decisions waiting for this console's blind second opinion. */
export function secondReviewQueue(): Promise<SecondReviewItem[]> {
  return call(TRUST_COMMANDS.secondReviewQueue);
}

/** Records a second opinion (nothing is executed); resolves to whether it disagrees. */
export function recordSecondReview(decisionId: number, wouldApprove: boolean, note: string): Promise<boolean> {
  return call(TRUST_COMMANDS.recordSecondReview, { decisionId, wouldApprove, note });
}

/** Workflows with runs or decisions in `[from, to)` (null: the last four weeks). */
export function readinessWorkflows(from: string | null = null, to: string | null = null): Promise<string[]> {
  return call(TRUST_COMMANDS.readinessWorkflows, { from, to });
}

/** One workflow's readiness scorecard over `[from, to)` (null: the last four weeks). */
export function readinessScorecard(workflow: string, from: string | null = null, to: string | null = null): Promise<Scorecard> {
  return call(TRUST_COMMANDS.readinessScorecard, { workflow, from, to });
}

/** Every workflow's scorecard as JSON or CSV text. */
export function exportScorecards(format: 'json' | 'csv', from: string | null = null, to: string | null = null): Promise<string> {
  return call(TRUST_COMMANDS.exportScorecards, { from, to, format });
}

export function getReadinessThresholds(): Promise<Thresholds> {
  return call(TRUST_COMMANDS.getReadinessThresholds);
}

/** Replaces the thresholds (audited); rejects with `invalid_input` naming the bad value. */
export function setReadinessThresholds(thresholds: Thresholds): Promise<Thresholds> {
  return call(TRUST_COMMANDS.setReadinessThresholds, { thresholds });
}

/** Command names of the autonomy levels. */
export const AUTONOMY_COMMANDS = {
  workflowAutonomy: 'workflow_autonomy',
  setWorkflowAutonomy: 'set_workflow_autonomy',
} as const;

/** A workflow's autonomy level on each backend it runs on. */
export function workflowAutonomy(workflow: string): Promise<AutonomyView[]> {
  return call(AUTONOMY_COMMANDS.workflowAutonomy, { workflow });
}

/**
 * Sets a workflow's autonomy level on a backend (admin; audited with the scorecard). Rejects
 * with `justification_required` when it raises the level while a readiness row fails and no
 * justification is given, `forbidden` without the admin role.
 */
export function setWorkflowAutonomy(
  backendId: string,
  workflow: string,
  level: AutonomyLevel,
  samplePercent: number,
  justification: string | null,
): Promise<AutonomyChange> {
  return call(AUTONOMY_COMMANDS.setWorkflowAutonomy, { backendId, workflow, level, samplePercent, justification });
}
