// Client for the governance commands: budgets (with spend, editing), the audit trail (browse,
// export, verify) and knowledge sources. Every function rejects with an ApiError `{code, message}`.
import { call } from './call';
import type { Budget } from './types';
import type { AuditEvent, AuditInfo, BudgetWithSpend, ExportResult, SourceView, VerifyReport } from './types';

/** Command names as the Rust side registers them. */
export const GOVERNANCE_COMMANDS = {
  listBudgets: 'list_budgets',
  saveBudgets: 'save_budgets',
  auditInfo: 'audit_info',
  listAudit: 'list_audit',
  exportAudit: 'export_audit',
  verifyAudit: 'verify_audit',
  listSources: 'list_sources',
} as const;


/** Every cap in force, by backend, with spend in its current period and `can_edit`. */
export function listBudgetsWithSpend(): Promise<BudgetWithSpend[]> {
  return call(GOVERNANCE_COMMANDS.listBudgets);
}

/** Replaces ALL caps of one backend with `budgets`; resolves to what the backend read back. */
export function saveBudgets(backendId: string, budgets: Budget[]): Promise<Budget[]> {
  return call(GOVERNANCE_COMMANDS.saveBudgets, { backendId, budgets });
}

export function getAuditInfo(): Promise<AuditInfo> {
  return call(GOVERNANCE_COMMANDS.auditInfo);
}

/** Events newest first, optionally in `[from, to)` (RFC 3339). */
export function listAudit(from: string | null, to: string | null, limit: number | null): Promise<AuditEvent[]> {
  return call(GOVERNANCE_COMMANDS.listAudit, { from, to, limit });
}

/** Writes a signed bundle for `[from, to)` into a new folder; resolves to the folder and manifest. */
export function exportAudit(from: string | null, to: string | null): Promise<ExportResult> {
  return call(GOVERNANCE_COMMANDS.exportAudit, { from, to });
}

/** Verifies a bundle folder offline; rejects with `verify_failed` naming the first bad record. */
export function verifyAudit(dir: string): Promise<VerifyReport> {
  return call(GOVERNANCE_COMMANDS.verifyAudit, { dir });
}

export function listSources(): Promise<SourceView[]> {
  return call(GOVERNANCE_COMMANDS.listSources);
}
