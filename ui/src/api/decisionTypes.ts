// Names the review and decision UI uses on top of the generated wire types (./generated).
import type { Role } from './generated';

/** Roles a decision can be escalated to. */
export type EscalationRole = Role;
