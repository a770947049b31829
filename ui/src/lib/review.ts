// The reviewer's gating rules, as pure functions: what must be done before approve, approve
// with edits, deny or rollback are allowed, and the review sent to `decide_action`. They mirror
// `check_review` in crates/core/src/review.rs, which enforces the same rules again.
import type { DecisionKind, EscalationRole, ReviewInput, ReviewWarning } from '../api/types';
import type { PendingAction, ReviewField } from '../api/types';

/** Per field: a tick (boolean) for `tick` fields, the re-typed text for `reenter` fields. */
export type Confirmations = Record<string, boolean | string | undefined>;

/** Edited values by field name (only meaningful for editable fields). */
export type Edits = Record<string, string | undefined>;

/** The `field:code` key a warning is acknowledged with. */
export function warningKey(w: Pick<ReviewWarning, 'field' | 'code'>): string {
  return `${w.field}:${w.code}`;
}

/** Re-entry compares exactly: no trimming, no case folding, no normalisation. */
export function reenterMatches(field: Pick<ReviewField, 'value'>, typed: string | undefined): boolean {
  return typed !== undefined && typed === field.value;
}

export type ReenterState = 'empty' | 'partial' | 'match' | 'mismatch';

/** For the match/mismatch hint next to a re-entry input. */
export function reenterState(field: Pick<ReviewField, 'value'>, typed: string | undefined): ReenterState {
  if (typed === undefined || typed === '') return 'empty';
  if (typed === field.value) return 'match';
  if (field.value.startsWith(typed)) return 'partial';
  return 'mismatch';
}

/** Whether approving needs this field confirmed (fields are required unless they say not). */
export function needsConfirmation(field: Pick<ReviewField, 'required'>): boolean {
  return field.required !== false;
}

/** Whether the backend accepts this kind of decision for the action (none listed = all). */
export function allows(action: Pick<PendingAction, 'allowed_decisions'>, kind: DecisionKind): boolean {
  const allowed = action.allowed_decisions ?? [];
  return allowed.length === 0 || allowed.includes(kind);
}

/** Is this field confirmed as proposed (ticked, or re-entered exactly)? */
export function isConfirmed(field: Pick<ReviewField, 'value' | 'confirm'>, c: boolean | string | undefined): boolean {
  if (field.confirm === 'reenter') return typeof c === 'string' && reenterMatches(field, c);
  return c === true;
}

export interface Gate {
  ok: boolean;
  /** Short, plain lines saying what is still missing (empty when ok). */
  missing: string[];
}

function gate(missing: string[]): Gate {
  return { ok: missing.length === 0, missing };
}

function unacknowledged(warnings: readonly ReviewWarning[], acks: ReadonlySet<string>): ReviewWarning[] {
  return warnings.filter((w) => !acks.has(warningKey(w)));
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function warningsLine(left: ReviewWarning[]): string | null {
  if (left.length === 0) return null;
  const names = [...new Set(left.map((w) => w.field))];
  return `acknowledge ${plural(left.length, 'warning', 'warnings')} (${names.join(', ')})`;
}

/**
 * Approve as proposed: every required field confirmed (ticked, or re-entered exactly) and every warning
 * acknowledged. `warnings` must be the answer for the proposed values; while it is not known
 * (null) approval stays closed.
 */
export function canApprove(
  fields: readonly ReviewField[],
  confirmations: Confirmations,
  warnings: readonly ReviewWarning[] | null,
  acks: ReadonlySet<string>,
): Gate {
  const missing: string[] = [];
  const required = fields.filter(needsConfirmation);
  const unticked = required.filter((f) => f.confirm === 'tick' && !isConfirmed(f, confirmations[f.name]));
  const reenter = required.filter((f) => f.confirm === 'reenter' && !isConfirmed(f, confirmations[f.name]));
  const mismatched = reenter.filter((f) => {
    const t = confirmations[f.name];
    return typeof t === 'string' && t !== '' && reenterState(f, t) === 'mismatch';
  });
  const untyped = reenter.filter((f) => !mismatched.includes(f));
  if (unticked.length) missing.push(`tick ${unticked.map((f) => f.label).join(', ')}`);
  if (untyped.length) missing.push(`re-enter ${untyped.map((f) => f.label).join(', ')}`);
  if (mismatched.length) missing.push(`re-entered ${mismatched.map((f) => f.label).join(', ')} does not match`);
  if (warnings === null) missing.push('checking the values for traps…');
  else {
    const line = warningsLine(unacknowledged(warnings, acks));
    if (line) missing.push(line);
  }
  return gate(missing);
}

/** Editable fields whose edited value differs from the proposed one. */
export function editedFields(fields: readonly ReviewField[], edits: Edits): ReviewField[] {
  return fields.filter((f) => f.editable && edits[f.name] !== undefined && edits[f.name] !== f.value);
}

/** The values the edited write would carry: proposed values with the edits applied. */
export function valuesWithEdits(fields: readonly ReviewField[], edits: Edits): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const e = edits[f.name];
    out[f.name] = f.editable && e !== undefined ? e : f.value;
  }
  return out;
}

/**
 * Approve with edits: at least one editable field changed, no edited value empty, every
 * unchanged field confirmed as for approve, and every warning on the edited values
 * acknowledged. `warnings` must be the answer for `valuesWithEdits` (null while checking).
 */
export function canApproveWithEdits(
  fields: readonly ReviewField[],
  confirmations: Confirmations,
  edits: Edits,
  warnings: readonly ReviewWarning[] | null,
  acks: ReadonlySet<string>,
): Gate {
  const missing: string[] = [];
  const edited = editedFields(fields, edits);
  if (edited.length === 0) missing.push('change at least one editable field');
  const blank = edited.filter((f) => (edits[f.name] ?? '').trim() === '');
  if (blank.length) missing.push(`enter a value for ${blank.map((f) => f.label).join(', ')}`);
  const unchanged = fields.filter(
    (f) => needsConfirmation(f) && !edited.includes(f) && !isConfirmed(f, confirmations[f.name]),
  );
  if (unchanged.length) missing.push(`confirm ${unchanged.map((f) => f.label).join(', ')}`);
  if (warnings === null) missing.push('checking the corrected values…');
  else {
    const line = warningsLine(unacknowledged(warnings, acks));
    if (line) missing.push(line);
  }
  return gate(missing);
}

/** The reason a denial carries: free text wins over the picked reason; blank is none. */
export function denyReason(picked: string, text: string): string | null {
  const t = text.trim();
  if (t) return t;
  const p = picked.trim();
  return p ? p : null;
}

export function canDeny(picked: string, text: string): Gate {
  return gate(denyReason(picked, text) ? [] : ['pick or write a reason']);
}

export function canRollback(status: string, rollbackSupported: boolean, reason: string): Gate {
  const missing: string[] = [];
  if (status !== 'executed') missing.push(`only executed actions can be rolled back (this one is ${status.replace(/_/g, ' ')})`);
  if (!rollbackSupported) missing.push('this write does not support rollback');
  if (!reason.trim()) missing.push('write a reason');
  return gate(missing);
}

/** Acknowledged keys that still name a current warning (stale acknowledgements are not sent). */
export function currentAcks(warnings: readonly ReviewWarning[], acks: ReadonlySet<string>): string[] {
  return [...new Set(warnings.map(warningKey).filter((k) => acks.has(k)))];
}

/** Drops the acknowledgements of one field (its value changed, so its warnings are new). */
export function dropAcksFor(acks: ReadonlySet<string>, field: string): Set<string> {
  return new Set([...acks].filter((k) => !k.startsWith(`${field}:`)));
}

/** Review for approve: re-entered text as typed, ticked fields with their proposed value;
 * fields that need no confirmation are left out (the backend keeps their proposed value). */
export function approveReview(
  fields: readonly ReviewField[],
  confirmations: Confirmations,
  warnings: readonly ReviewWarning[],
  acks: ReadonlySet<string>,
): ReviewInput {
  const values: Record<string, string> = {};
  for (const f of fields) {
    const c = confirmations[f.name];
    if (f.confirm === 'reenter') {
      if (typeof c === 'string') values[f.name] = c;
    } else if (c === true) {
      values[f.name] = f.value;
    }
  }
  return { decision: 'approve', fields: values, acknowledged: currentAcks(warnings, acks), reason: null };
}

export function approveWithEditsReview(
  fields: readonly ReviewField[],
  edits: Edits,
  warnings: readonly ReviewWarning[],
  acks: ReadonlySet<string>,
  note: string,
): ReviewInput {
  return {
    decision: 'approve_with_edits',
    fields: valuesWithEdits(fields, edits),
    acknowledged: currentAcks(warnings, acks),
    reason: note.trim() ? note.trim() : null,
  };
}

/** An escalation needs a reason and the role to hand the decision to. */
export function escalateReview(role: EscalationRole, reason: string): ReviewInput {
  return { decision: 'escalate', fields: {}, acknowledged: [], reason: reason.trim(), escalate_to: role };
}

/** Whether an escalation can be sent. */
export function canEscalate(role: string, reason: string): boolean {
  return role !== '' && reason.trim() !== '';
}

export function denyReview(picked: string, text: string): ReviewInput {
  return { decision: 'deny', fields: {}, acknowledged: [], reason: denyReason(picked, text) };
}
