// Wire types: mirrors of the Rust serde JSON (snake_case fields) the Tauri commands return.
// Timestamps are RFC 3339 UTC strings; money is integer micro-dollars.

import type { DecisionKind } from './decisionTypes';

/** JSON value as serde_json::Value carries it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** RFC 3339 UTC timestamp, e.g. "2026-11-25T15:18:51Z". */
export type Rfc3339 = string;

/** Integer micro-dollars (1 USD = 1_000_000). */
export type Micros = number;

export interface ApiError {
  code: string;
  message: string;
}

// ---- run.rs ----

export type Outcome = 'success' | 'fail' | 'escalated' | 'denied' | 'pending' | 'budget_stopped';

export const OUTCOMES: readonly Outcome[] = [
  'success',
  'fail',
  'escalated',
  'denied',
  'pending',
  'budget_stopped',
];

export interface TokenUsage {
  input: number;
  output: number;
}

export interface ToolCall {
  call_id: string;
  parent_id?: string | null;
  tool: string;
  arguments: Json;
  result_summary?: string | null;
  result?: Json;
  started_at: Rfc3339;
  ended_at?: Rfc3339 | null;
  cost_micros: Micros;
  documents: string[];
  error?: string | null;
}

export interface Citation {
  doc_id: string;
  title: string;
  url?: string | null;
  call_id?: string | null;
  passage: string;
  /** Start of the passage in the source, in Unicode scalar values. */
  start: number;
  /** End (exclusive) of the passage in the source, in Unicode scalar values. */
  end: number;
  context: string;
  /** Offset (Unicode scalar values) of `context` within the source. */
  context_start: number;
  source_version: string;
  source_updated_at?: Rfc3339 | null;
  deprecated: boolean;
}

export interface PolicyCheck {
  name: string;
  passed: boolean;
  detail?: string | null;
}

export interface RecordChange {
  system: string;
  record_id: string;
  field: string;
  before: Json;
  after: Json;
  action_id?: string | null;
}

export interface Run {
  run_id: string;
  revision: number;
  tenant: string;
  user_id: string;
  team?: string | null;
  workflow: string;
  workflow_version: string;
  model: string;
  inputs: Json;
  tool_calls: ToolCall[];
  citations: Citation[];
  outputs: Json;
  confidence?: number | null;
  cost_micros: Micros;
  tokens: TokenUsage;
  latency_ms: number;
  outcome: Outcome;
  decision: string;
  rationale?: string | null;
  policy_checks: PolicyCheck[];
  changes: RecordChange[];
  started_at: Rfc3339;
  ended_at?: Rfc3339 | null;
  updated_at: Rfc3339;
}

export interface RunSummary {
  backend_id: string;
  run_id: string;
  tenant: string;
  workflow: string;
  workflow_version: string;
  user_id: string;
  model: string;
  outcome: Outcome;
  decision: string;
  cost_micros: Micros;
  latency_ms: number;
  tool_calls: number;
  policy_failures: number;
  citation_warnings: number;
  started_at: Rfc3339;
}

export type RunSort = 'time_desc' | 'cost_desc' | 'latency_desc';

/** Filters for `list_runs`; every field that is set narrows the result (serde default on the Rust side). */
export interface RunQuery {
  backend_id?: string | null;
  tenant?: string | null;
  workflow?: string | null;
  outcome?: string | null;
  model?: string | null;
  user_id?: string | null;
  /** Every word must appear (prefix on the last word) across inputs, outputs, tool args/results, passages. */
  search?: string | null;
  /** Started at or after (RFC 3339). */
  since?: Rfc3339 | null;
  /** Started before (RFC 3339). */
  until?: Rfc3339 | null;
  min_cost_micros?: Micros | null;
  max_cost_micros?: Micros | null;
  /** Only runs with a failed policy check. */
  policy_failed?: boolean;
  /** Only runs citing a deprecated or stale source. */
  cites_stale?: boolean;
  /** Ignored when `search` is set: matches come newest-synced first. */
  sort?: RunSort;
  /** Page size (default 200, at most 1000). */
  limit?: number;
  offset?: number;
}

/** Counting stops at this many rows; beyond it `total_capped` is true. */
export const RUN_COUNT_CAP = 1_000;

export interface RunPage {
  items: RunSummary[];
  /** Matching rows, counted up to RUN_COUNT_CAP. */
  total: number;
  /** `total` hit the cap: there are at least that many. */
  total_capped: boolean;
  /** When searching: runs stored but not yet indexed for search (they appear once indexed). */
  search_pending?: number;
}

// ---- overview.rs ----

export interface DayPoint {
  /** UTC midnight of the day. */
  day: Rfc3339;
  workflow: string;
  model: string;
  runs: number;
  successes: number;
  escalations: number;
  failures: number;
  cost_micros: Micros;
  /** Integer micros; null with no success that day. */
  cost_per_success: Micros | null;
}

export interface ModelChange {
  workflow: string;
  /** First day (UTC midnight) on the new model. */
  day: Rfc3339;
  from: string;
  to: string;
}

export interface StaleByBackend {
  backend_id: string;
  stale_citations: number;
  runs: number;
}

export interface Overview {
  points: DayPoint[];
  model_changes: ModelChange[];
  stale_by_backend: StaleByBackend[];
}

export interface RunDetail {
  backend_id: string;
  backend_name: string;
  run: Run;
  actions: PendingAction[];
}

// ---- action.rs ----

export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';

export type ActionStatus =
  | 'pending'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'executed'
  | 'rolled_back'
  | 'failed';

export const ACTION_STATUSES: readonly ActionStatus[] = [
  'pending',
  'approved',
  'denied',
  'expired',
  'executed',
  'rolled_back',
  'failed',
];

export type FieldKind = 'money' | 'currency' | 'region' | 'identifier' | 'text' | 'bool';

export type ConfirmMode = 'tick' | 'reenter';

export interface ReviewField {
  name: string;
  label: string;
  kind: FieldKind;
  value: string;
  current?: string | null;
  confirm: ConfirmMode;
  editable: boolean;
  /** Approving needs it confirmed (absent = true). A field not required is shown and may be
   * corrected, but approve works without ticking it (LangGraph arguments the backend's confirm
   * settings do not list). */
  required?: boolean;
}

export interface TargetRecord {
  system: string;
  record_id: string;
}

export interface PendingAction {
  action_id: string;
  revision: number;
  run_id: string;
  tenant: string;
  kind: string;
  title: string;
  target: TargetRecord;
  risk: RiskLevel;
  fields: ReviewField[];
  proposed: Json;
  rationale: string;
  confidence?: number | null;
  policy_checks: PolicyCheck[];
  deny_reasons: string[];
  escalate_to?: string | null;
  rollback_supported: boolean;
  /** A reviewer escalated it: only this role (or an admin) may decide it now. */
  escalated_to?: string | null;
  /** Decisions this backend accepts for the action; absent or empty = every kind. */
  allowed_decisions?: DecisionKind[];
  status: ActionStatus;
  requested_at: Rfc3339;
  expires_at: Rfc3339;
  decided_by?: string | null;
  decided_at?: Rfc3339 | null;
  updated_at: Rfc3339;
}

export interface ActionItem {
  backend_id: string;
  backend_name: string;
  action: PendingAction;
  effective_status: ActionStatus | string;
}

// ---- budget.rs ----

export type ScopeKind = 'backend' | 'workflow' | 'team' | 'user';
export type Period = 'run' | 'day' | 'week' | 'month';
export type Enforcement = 'hard' | 'soft';

export interface BudgetScope {
  kind: ScopeKind;
  value?: string | null;
}

export interface BudgetLimits {
  max_cost_micros?: Micros | null;
  max_tool_calls?: number | null;
  max_wall_ms?: number | null;
  max_runs?: number | null;
}

export interface Budget {
  budget_id: string;
  scope: BudgetScope;
  period: Period;
  time_zone: string;
  limits: BudgetLimits;
  enforcement: Enforcement;
  alert_at_percent: number;
  updated_at: Rfc3339;
}

export interface BudgetItem {
  backend_id: string;
  backend_name: string;
  budget: Budget;
}

// ---- backend.rs ----

export type Role = 'reviewer' | 'finance' | 'operator' | 'admin';

export interface Whoami {
  subject: string;
  display_name: string;
  roles: Role[];
  tenants: string[];
}

export interface SourceDoc {
  doc_id: string;
  title: string;
  version: string;
  updated_at: Rfc3339;
  deprecated: boolean;
}

export interface KnowledgeSource {
  source_id: string;
  name: string;
  kind: string;
  access: string[];
  last_indexed_at: Rfc3339;
  documents: SourceDoc[];
}

// ---- console (Tauri app) views ----

export interface AppInfo {
  version: string;
  store_path: string;
  embedded_backend_url: string | null;
  secret_store: string;
}

export type HealthState = 'healthy' | 'degraded' | 'down' | 'never_synced';

export interface BackendHealth {
  state: HealthState;
  last_success_at: Rfc3339 | null;
  last_attempt_at: Rfc3339 | null;
  last_error: string | null;
  consecutive_failures: number;
}

export interface BackendCounts {
  runs: number;
  actions_pending: number;
  quarantined: number;
}

export interface BackendView {
  backend_id: string;
  name: string;
  url: string;
  kind: string;
  added_at: Rfc3339;
  embedded: boolean;
  health: BackendHealth;
  whoami: Whoami | null;
  counts: BackendCounts;
  /** Per-kind settings: `{project}` (Phoenix), `{confirm_fields: {action: [field…]}}` (LangGraph). */
  config: Json;
}

/** Backend kinds with a connector. */
export type BackendKind = 'countersign' | 'langgraph' | 'phoenix' | 'langfuse';

export interface NewBackend {
  name: string;
  url: string;
  /** Token / API key; for Langfuse `PUBLIC_KEY:SECRET_KEY`. */
  token: string;
  kind: BackendKind;
  config: Json;
}

export interface SyncReport {
  backend_id: string;
  runs: number;
  actions: number;
  budgets: number;
  sources: number;
  quarantined: number;
  pages: number;
  error: ApiError | null;
  finished_at: Rfc3339;
}

export interface QuarantineRecord {
  id: number;
  backend_id: string;
  stream: string;
  reason: string;
  raw_preview: string;
  received_at: Rfc3339;
}

export interface Facets {
  workflows: string[];
  models: string[];
  backends: { backend_id: string; name: string }[];
}

// ---- events ----

export interface StoreChangedPayload {
  backend_id: string;
  runs: number;
  actions: number;
  origin: 'sync' | 'user';
}

export type SyncState = 'running' | 'idle' | 'error';

export interface SyncStatusPayload {
  backend_id: string;
  state: SyncState;
  message: string | null;
}

// ---- OpenTelemetry traces (commands/traces.rs) ----

/** What an OTLP/JSON import did (`countersign_otel::ImportCounts`). */
export interface ImportCounts {
  /** Pseudo-backend the runs were stored under. */
  backend_id: string;
  /** Its URL, `http://import.localhost/<source>`. */
  backend_url: string;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Traces that could not become runs (quarantined). */
  rejected: number;
  /** Run ids imported, in file order. */
  run_ids: string[];
  /** E.g. "no price for model X". */
  warnings: string[];
}

/** One model price: exact decimal strings, USD per 1M tokens. */
export interface PriceRow {
  model: string;
  /** YYYY-MM-DD (UTC day). */
  effective_from: string;
  input_usd_per_mtok: string;
  output_usd_per_mtok: string;
}

export interface PriceTableView {
  prices: PriceRow[];
  /** False while the built-in EXAMPLE table is in force. */
  custom: boolean;
}

export interface ReceiverStats {
  requests: number;
  refused: number;
  spans: number;
  runs_changed: number;
  rejected_traces: number;
}

/** The loopback OTLP/HTTP receiver: settings and state. */
export interface ReceiverView {
  enabled: boolean;
  /** 0 = any free port. */
  port: number;
  /** "127.0.0.1:PORT" while running. */
  address: string | null;
  /** "http://127.0.0.1:PORT/v1/traces" while running. */
  endpoint: string | null;
  /** Why it is not running although enabled (e.g. the port is in use). */
  error: string | null;
  stats: ReceiverStats | null;
}
