// Names the review and decision UI uses on top of the generated wire types (./generated).
import type { Role } from './generated';
import type { WARNING_CODES } from './generated/constants';

/** Warning codes the console knows; unknown codes from a newer backend still must be acknowledged. */
export type WarningCode = (typeof WARNING_CODES)[number];

/** Roles a decision can be escalated to. */
export type EscalationRole = Role;

/** Error codes `decide_action` / `rollback_action` reject with. */
export type DecideErrorCode = 'review_incomplete' | 'review_not_opened' | 'expired' | 'conflict' | 'already_queued' | 'forbidden' | 'not_found';
