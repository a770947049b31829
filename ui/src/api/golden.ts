// Client for golden sets and evals: sets and their versions, adding runs with expectations,
// JSONL import/export, evals on native backends and replays on LangGraph assistants, their
// reports beside the baseline, and the audited pass thresholds. Every function rejects with an ApiError `{code, message}`.
import { call } from './call';
import type {
  CasePair,
  ConfigLabel,
  EvalComparison,
  EvalOutcome,
  EvalRecord,
  Expectations,
  GoldenVersion,
  PassThresholds,
  RunRef,
  StoredCase,
  WorkflowGate,
} from './types';

/** Command names as the Rust side registers them. */
export const GOLDEN_COMMANDS = {
  sets: 'golden_sets',
  versions: 'golden_versions',
  cases: 'golden_cases',
  addRuns: 'golden_add_runs',
  setExpectations: 'golden_set_expectations',
  removeCases: 'golden_remove_cases',
  exportSet: 'golden_export',
  importSet: 'golden_import',
  startEval: 'golden_start_eval',
  startLangGraphEval: 'golden_start_langgraph_eval',
  evals: 'golden_evals',
  report: 'golden_eval_report',
  evalCase: 'golden_eval_case',
  exportReport: 'golden_export_report',
  getThresholds: 'get_golden_thresholds',
  setThresholds: 'set_golden_thresholds',
  gates: 'golden_gates',
} as const;

/** Every workflow's set (its latest version). */
export function sets(): Promise<GoldenVersion[]> {
  return call(GOLDEN_COMMANDS.sets);
}

/** The versions of a workflow's set, newest first. */
export function versions(workflow: string): Promise<GoldenVersion[]> {
  return call(GOLDEN_COMMANDS.versions, { workflow });
}

/** The cases of a version (null: the latest). */
export function cases(workflow: string, version: number | null = null): Promise<StoredCase[]> {
  return call(GOLDEN_COMMANDS.cases, { workflow, version });
}

/** Adds runs to their workflows' sets, expecting what each did (ceilings at `headroom` ×). */
export function addRuns(runs: RunRef[], headroom: number | null = null): Promise<GoldenVersion[]> {
  return call(GOLDEN_COMMANDS.addRuns, { runs, headroom });
}

/** Replaces a case's expectations (a new, audited version). */
export function setExpectations(workflow: string, caseId: string, expect: Expectations): Promise<GoldenVersion> {
  return call(GOLDEN_COMMANDS.setExpectations, { workflow, caseId, expect });
}

/** Removes cases (a new, audited version). */
export function removeCases(workflow: string, caseIds: string[]): Promise<GoldenVersion> {
  return call(GOLDEN_COMMANDS.removeCases, { workflow, caseIds });
}

/** A version as JSONL: the run record plus `expect` per line. */
export function exportSet(workflow: string, version: number | null = null): Promise<string> {
  return call(GOLDEN_COMMANDS.exportSet, { workflow, version });
}

/** Replaces the set with JSONL text; rejects with `invalid_input` naming the bad line. */
export function importSet(workflow: string, backendId: string, text: string, source: string): Promise<GoldenVersion> {
  return call(GOLDEN_COMMANDS.importSet, { workflow, backendId, text, source });
}

/** Runs the latest version of the set on a native backend under `config`, and compares. */
export function startEval(workflow: string, backendId: string, config: ConfigLabel, baselineEval: string | null): Promise<EvalOutcome> {
  return call(GOLDEN_COMMANDS.startEval, { workflow, backendId, config, baselineEval });
}

/**
 * Replays the latest version of the set on a LangGraph backend: each case's input runs as a new
 * thread on `assistant` (an assistant id or a graph name) at `assistantVersion` (null: its
 * latest); interrupts are recorded as proposed writes and never resumed. Empty labels default
 * to the assistant (and version) and `langgraph`.
 */
export function startLangGraphEval(
  workflow: string,
  backendId: string,
  assistant: string,
  assistantVersion: number | null,
  config: ConfigLabel,
  baselineEval: string | null,
): Promise<EvalOutcome> {
  return call(GOLDEN_COMMANDS.startLangGraphEval, { workflow, backendId, assistant, assistantVersion, config, baselineEval });
}

/** The evals of a workflow, newest first. */
export function evals(workflow: string): Promise<EvalRecord[]> {
  return call(GOLDEN_COMMANDS.evals, { workflow });
}

/** An eval's report (compared with the thresholds in force). */
export function report(evalId: string): Promise<EvalComparison> {
  return call(GOLDEN_COMMANDS.report, { evalId });
}

/** One case of an eval beside its baseline run. */
export function evalCase(evalId: string, caseId: string): Promise<CasePair> {
  return call(GOLDEN_COMMANDS.evalCase, { evalId, caseId });
}

/** The eval and its report as JSON text. */
export function exportReport(evalId: string): Promise<string> {
  return call(GOLDEN_COMMANDS.exportReport, { evalId });
}

export function getThresholds(): Promise<PassThresholds> {
  return call(GOLDEN_COMMANDS.getThresholds);
}

/** Replaces the pass thresholds (audited); rejects with `invalid_input` naming the bad value. */
export function setThresholds(thresholds: PassThresholds): Promise<PassThresholds> {
  return call(GOLDEN_COMMANDS.setThresholds, { thresholds });
}

/** The readiness gate of each of `workflows`: its configuration change and any passing eval. */
export function gates(workflows: string[]): Promise<WorkflowGate[]> {
  return call(GOLDEN_COMMANDS.gates, { workflows });
}
