// Client functions for reviewing and deciding actions (queued through the outbox).
// Every function rejects with an ApiError `{code, message}`.
import { call } from './call';
import type { OpenedReview, OutboxEntry, ReviewInput, ReviewWarning } from './types';

export type * from './types';

/** Command names as the Rust side registers them. */
export const DECISION_COMMANDS = {
  reviewWarnings: 'review_warnings',
  openReview: 'open_review',
  decideAction: 'decide_action',
  rollbackAction: 'rollback_action',
  listOutbox: 'list_outbox',
} as const;


/** The traps in the values about to be confirmed (proposed values, or edited ones). */
export function reviewWarnings(backendId: string, actionId: string, values: Record<string, string>): Promise<ReviewWarning[]> {
  return call(DECISION_COMMANDS.reviewWarnings, { backendId, actionId, values });
}

/** Records, on the Rust side, that this reviewer opened the item now (the review panel calls it
 * when it opens); the decision's time to decide counts from it, and an approval without it is
 * refused (`review_not_opened`). */
export function openReview(backendId: string, actionId: string): Promise<OpenedReview> {
  return call(DECISION_COMMANDS.openReview, { backendId, actionId });
}

/** Checks the review and queues the decision (the opening time is the one Rust recorded). */
export function decideAction(backendId: string, actionId: string, review: ReviewInput): Promise<OutboxEntry> {
  return call(DECISION_COMMANDS.decideAction, { backendId, actionId, review });
}

/** Queues the rollback of an executed write (needs a reason). */
export function rollbackAction(backendId: string, actionId: string, reason: string): Promise<OutboxEntry> {
  return call(DECISION_COMMANDS.rollbackAction, { backendId, actionId, reason });
}

/** Outbox entries, newest first; both null = all backends and actions. */
export function listOutbox(backendId: string | null, actionId: string | null): Promise<OutboxEntry[]> {
  return call(DECISION_COMMANDS.listOutbox, { backendId, actionId });
}
