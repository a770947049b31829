// Wire types for reviewing and deciding actions: mirrors of the Rust serde JSON
// (crates/core review.rs, crates/store outbox.rs). Timestamps are RFC 3339 UTC strings.
import type { Json, Rfc3339 } from './types';

/** A trap in a value about to be confirmed; must be acknowledged as `field:code`. */
export type WarningCode =
  | 'confusable'
  | 'hidden_characters'
  | 'locale_ambiguous_amount'
  | 'outside_policy'
  | 'unexpected_value'
  | 'invalid_value';

export interface ReviewWarning {
  field: string;
  /** One of WarningCode; unknown codes from a newer backend still must be acknowledged. */
  code: WarningCode | string;
  message: string;
}

export type DecisionKind = 'approve' | 'approve_with_edits' | 'deny' | 'escalate';

/** Roles a decision can be escalated to. */
export type EscalationRole = 'finance' | 'admin' | 'reviewer' | 'operator';

/** What the reviewer did: confirmed (or corrected) values, acknowledged warnings, reason. */
export interface ReviewInput {
  decision: DecisionKind;
  /** Per field: proposed value once ticked, the re-typed text for `reenter` fields, edits. */
  fields: Record<string, string>;
  /** `field:code` of every acknowledged warning. */
  acknowledged: string[];
  reason: string | null;
  /** For `escalate`: the role that must decide instead. */
  escalate_to?: EscalationRole | null;
}

export type OutboxState = 'queued' | 'delivered' | 'conflict' | 'rejected';

export type OutboxOp = 'decision' | 'rollback';

/** A decision or rollback on its way to the backend. */
export interface OutboxEntry {
  id: number;
  backend_id: string;
  action_id: string;
  op: OutboxOp | string;
  idempotency_key: string;
  body: Json;
  actor: string;
  state: OutboxState;
  attempts: number;
  /** Why it is still waiting (queued), or the backend's refusal (conflict/rejected). */
  last_error: string | null;
  response: Json | null;
  opened_at: Rfc3339 | null;
  queued_at: Rfc3339;
  answered_at: Rfc3339 | null;
}

/** Error codes `decide_action` / `rollback_action` reject with. */
export type DecideErrorCode = 'review_incomplete' | 'expired' | 'conflict' | 'already_queued' | 'forbidden' | 'not_found';
