// Wire types for the governance commands (budgets with spend, the audit trail, knowledge
// sources): mirrors of the Rust serde JSON (snake_case). Money is integer micro-dollars.
import type { Budget, Json, KnowledgeSource, Micros, Rfc3339 } from './types';

/** Spend against one cap in its current period (per-run caps: the last 30 days). */
export interface BudgetSpend {
  period_start: Rfc3339;
  period_end: Rfc3339;
  cost_micros: Micros;
  runs: number;
  /** Runs the backend stopped at a cap in the period. */
  stopped_runs: number;
  /** The most expensive single run (what a per-run cap is measured against). */
  max_run_cost_micros: Micros;
  /** Spend at period end if the burn rate so far continues (calendar periods only). */
  forecast_micros: Micros | null;
  /** Spend (per run: the largest run) as a share of the cost limit, in percent. */
  used_percent: number | null;
}

/** One row of `list_budgets`: a cap, its backend, spend, and whether the user may edit it. */
export interface BudgetWithSpend {
  backend_id: string;
  backend_name: string;
  budget: Budget;
  spend: BudgetSpend | null;
  can_edit: boolean;
}

/** Kinds of audit events, in display order. */
export const AUDIT_KINDS = [
  'decision',
  'decision_delivery',
  'rollback',
  'budget_change',
  'backend_added',
  'backend_removed',
  'export',
  'sync_failure',
  'quarantine',
] as const;

export interface AuditEvent {
  seq: number;
  at: Rfc3339;
  actor: string;
  kind: string;
  subject: string;
  details: Json;
  prev_hash: string;
  hash: string;
}

export interface AuditInfo {
  head: AuditEvent | null;
  chain_ok: boolean;
  chain_error: string | null;
  /** Hex Ed25519 public key of this installation. */
  public_key: string;
  exports_dir: string;
}

export interface AuditHead {
  seq: number;
  hash: string;
}

export interface ManifestFile {
  name: string;
  sha256: string;
  lines: number;
}

export interface ExportManifest {
  format: string;
  created_at: string;
  range: { from: string | null; to: string | null };
  files: ManifestFile[];
  audit_head: AuditHead;
  public_key: string;
  signature: string;
}

export interface ExportResult {
  dir: string;
  manifest: ExportManifest;
}

export interface VerifyReport {
  created_at: string;
  from: string | null;
  to: string | null;
  files: { name: string; lines: number; sha256?: string }[];
  audit_events: number;
  audit_head: AuditHead;
  public_key: string;
}

/** A knowledge source with the backend that reported it. */
export interface SourceView {
  backend_id: string;
  backend_name: string;
  source: KnowledgeSource;
}
