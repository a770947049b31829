// Client for the governance commands: budgets (with spend, editing), the audit trail (browse,
// export, verify), trusted keys and knowledge sources. Every function rejects with an ApiError `{code, message}`.
import { call } from './call';
import type { Budget } from './types';
import type {
  AuditEvent,
  AuditInfo,
  BudgetWithSpend,
  ExportResult,
  KeyDescription,
  SourceView,
  TrustedKey,
  TrustedKeyRole,
  VerifyOutcome,
} from './types';

/** Command names as the Rust side registers them. */
export const GOVERNANCE_COMMANDS = {
  listBudgets: 'list_budgets',
  saveBudgets: 'save_budgets',
  auditInfo: 'audit_info',
  listAudit: 'list_audit',
  exportAudit: 'export_audit',
  verifyAudit: 'verify_audit',
  listSources: 'list_sources',
  listTrustedKeys: 'list_trusted_keys',
  describeKey: 'describe_key',
  trustKey: 'trust_key',
  removeTrustedKey: 'remove_trusted_key',
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

/**
 * Sends the chain head to each native backend for a checkpoint receipt, then writes a signed
 * bundle for `[from, to)` into a new folder; resolves to the folder, manifest and any
 * checkpoint warnings.
 */
export function exportAudit(from: string | null, to: string | null): Promise<ExportResult> {
  return call(GOVERNANCE_COMMANDS.exportAudit, { from, to });
}

/**
 * Verifies a bundle folder offline against this console's trusted keys. Resolves to
 * `{result: 'verified', report}` or `{result: 'failed', error, message, signer_fingerprint}`
 * (an invalid bundle, or a valid signature by a key that is not trusted).
 */
export function verifyAudit(dir: string): Promise<VerifyOutcome> {
  return call(GOVERNANCE_COMMANDS.verifyAudit, { dir });
}

/** Every key Verify trusts: installation keys first. */
export function listTrustedKeys(): Promise<TrustedKey[]> {
  return call(GOVERNANCE_COMMANDS.listTrustedKeys);
}

/** A pasted public key, normalised, with its fingerprint to compare before trusting it. */
export function describeKey(publicKey: string): Promise<KeyDescription> {
  return call(GOVERNANCE_COMMANDS.describeKey, { publicKey });
}

/** Trusts a key in `role` under `label` (recorded in the trail). */
export function trustKey(publicKey: string, role: TrustedKeyRole, label: string): Promise<TrustedKey> {
  return call(GOVERNANCE_COMMANDS.trustKey, { publicKey, role, label });
}

/** Stops trusting a key; this installation's own key cannot be removed. */
export function removeTrustedKey(publicKey: string): Promise<void> {
  return call(GOVERNANCE_COMMANDS.removeTrustedKey, { publicKey });
}

export function listSources(): Promise<SourceView[]> {
  return call(GOVERNANCE_COMMANDS.listSources);
}
