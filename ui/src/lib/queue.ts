// The approval queue's pure parts: status as of now, urgency order, time left, the key field
// values shown in a row, and what an outbox entry's delivery state means in plain words.
import type { OutboxEntry } from '../api/types';
import type { ActionItem, ReviewField } from '../api/types';
import { parseTime } from './time';

/** Status as of `now`: a pending item past its deadline is `expired` (never `denied`). */
export function statusAt(item: Pick<ActionItem, 'effective_status'> & { action: { status: string; expires_at: string } }, now: Date): string {
  const s = String(item.effective_status || item.action.status);
  if (s !== 'pending') return s;
  const exp = parseTime(item.action.expires_at);
  return exp && exp.getTime() <= now.getTime() ? 'expired' : 'pending';
}

function ms(t: string): number {
  return parseTime(t)?.getTime() ?? Number.NaN;
}

/** Pending first, nearest expiry first; then the others, newest request first. */
export function sortQueue<T extends ActionItem>(items: readonly T[], now: Date): T[] {
  return [...items].sort((a, b) => {
    const pa = statusAt(a, now) === 'pending';
    const pb = statusAt(b, now) === 'pending';
    if (pa !== pb) return pa ? -1 : 1;
    if (pa) {
      const d = cmpNum(ms(a.action.expires_at), ms(b.action.expires_at));
      if (d) return d;
    } else {
      const d = cmpNum(ms(b.action.requested_at), ms(a.action.requested_at));
      if (d) return d;
    }
    return a.action.action_id < b.action.action_id ? -1 : a.action.action_id > b.action.action_id ? 1 : 0;
  });
}

function cmpNum(a: number, b: number): number {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na === nb ? 0 : na ? 1 : -1;
  return a - b;
}

export interface TimeLeft {
  expired: boolean;
  /** "3 h 04 m", "12 m 05 s", "45 s", or "expired". */
  text: string;
  /** Under 15 minutes left. */
  urgent: boolean;
}

export function timeLeft(expiresAt: string, now: Date): TimeLeft {
  const exp = parseTime(expiresAt);
  if (!exp) return { expired: false, text: '—', urgent: false };
  const left = exp.getTime() - now.getTime();
  if (left <= 0) return { expired: true, text: 'expired', urgent: false };
  const s = Math.floor(left / 1000);
  let text: string;
  if (s < 60) text = `${s} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  else if (s < 86_400) text = `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
  else text = `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
  return { expired: false, text, urgent: left < 15 * 60_000 };
}

/** The values a reviewer scans in the queue: money, currency, region, then the rest. */
export function keyFields(fields: readonly ReviewField[], max = 3): ReviewField[] {
  const rank = (f: ReviewField) => ({ money: 0, currency: 1, region: 2, text: 3, bool: 4, identifier: 5 })[f.kind] ?? 6;
  return [...fields].sort((a, b) => rank(a) - rank(b)).slice(0, max);
}

export type DeliveryTone = 'waiting' | 'ok' | 'conflict' | 'bad';

export interface DeliveryText {
  tone: DeliveryTone;
  /** "waiting to send", "delivered", "conflict: decided elsewhere / expired", "rejected: …". */
  label: string;
  /** Extra detail: last error and attempts while waiting; the backend's answer otherwise. */
  detail: string | null;
}

/** How a queued entry is held back on purpose, from its `response` (`{"held": "batch", ...}`). */
export interface BatchHold {
  /** Other requests of the interrupt still to be decided. */
  waitingFor: number;
  /** Requests in the interrupt. */
  size: number;
  /** Of those, escalated ones (waiting for their role). */
  escalated: number;
}

/** The batch hold of a queued entry, or null when it is not held. */
export function batchHold(e: Pick<OutboxEntry, 'state' | 'response'>): BatchHold | null {
  const r = e.response;
  if (e.state !== 'queued' || !r || typeof r !== 'object' || Array.isArray(r) || r['held'] !== 'batch') return null;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return { waitingFor: n(r['waiting_for']), size: n(r['size']), escalated: n(r['escalated']) };
}

/** "waiting for 1 other request of this interrupt". */
export function batchHoldLabel(h: BatchHold): string {
  return `waiting for ${h.waitingFor} other request${h.waitingFor === 1 ? '' : 's'} of this interrupt`;
}

/** What an outbox entry's state means to the reviewer, plainly. */
export function describeDelivery(e: Pick<OutboxEntry, 'state' | 'attempts' | 'last_error' | 'op'> & Partial<Pick<OutboxEntry, 'response'>>): DeliveryText {
  const what = e.op === 'rollback' ? 'rollback' : 'decision';
  switch (e.state) {
    case 'queued': {
      const hold = batchHold({ state: e.state, response: e.response ?? null });
      if (hold) {
        const escalated = hold.escalated > 0 ? ` (${hold.escalated} escalated, waiting for its role)` : '';
        return {
          tone: 'waiting',
          label: batchHoldLabel(hold),
          detail: `held, not sent: the agent is resumed once, when all ${hold.size} requests of this interrupt are decided${escalated}`,
        };
      }
      const tries = e.attempts === 0 ? 'not sent yet' : `${e.attempts} ${e.attempts === 1 ? 'attempt' : 'attempts'}`;
      return { tone: 'waiting', label: 'waiting to send', detail: e.last_error ? `${tries}; last error: ${e.last_error}` : tries };
    }
    case 'delivered':
      return { tone: 'ok', label: 'delivered', detail: `the backend accepted the ${what}` };
    case 'conflict':
      return {
        tone: 'conflict',
        label: 'conflict: decided elsewhere / expired',
        detail: e.last_error ? `the backend did not apply this ${what}: ${e.last_error}` : `the backend did not apply this ${what}`,
      };
    case 'rejected':
      return { tone: 'bad', label: `rejected: ${e.last_error ?? 'the backend refused it'}`, detail: null };
    default:
      return { tone: 'bad', label: String(e.state), detail: e.last_error };
  }
}

/** Why an item cannot be decided here, or null when it can. */
export function notDecidableReason(status: string, decidedBy?: string | null): string | null {
  switch (status) {
    case 'pending':
      return null;
    case 'expired':
      return 'Expired: the decision deadline passed before anyone decided. Nothing was executed; the agent run was stopped.';
    case 'executed':
      return `Already approved and executed${decidedBy ? ` by ${decidedBy}` : ''}.`;
    case 'approved':
      return `Already approved${decidedBy ? ` by ${decidedBy}` : ''}; waiting for execution.`;
    case 'denied':
      return `Already denied${decidedBy ? ` by ${decidedBy}` : ''}.`;
    case 'rolled_back':
      return 'Executed, then rolled back.';
    case 'failed':
      return 'Execution failed on the backend.';
    case 'draft':
      return "A draft: its workflow is at the draft autonomy level, so it is recorded and never executed.";
    default:
      return `This action is ${status.replace(/_/g, ' ')} and cannot be decided.`;
  }
}

/**
 * Whether the current identity may decide `item` on its backend: a reviewer or admin, and for an
 * escalated item that role (or admin). `null` while identities are loading (the backend refuses
 * anyway; this only hides controls that would be refused).
 */
export function decisionRight(
  backends: { backend_id: string; whoami: { roles: string[]; display_name: string } | null }[] | null,
  item: { backend_id: string; action: { escalated_to?: string | null } },
): { ok: boolean; why: string | null } | null {
  if (!backends) return null;
  const who = backends.find((b) => b.backend_id === item.backend_id)?.whoami ?? null;
  if (!who) return { ok: false, why: 'Your identity on this backend is not known yet; sync it first.' };
  const has = (r: string) => who.roles.includes('admin') || who.roles.includes(r);
  if (!has('reviewer')) return { ok: false, why: `${who.display_name} is not a reviewer on this backend, so decisions are hidden.` };
  const esc = item.action.escalated_to;
  if (esc && !has(esc)) return { ok: false, why: `Escalated to ${esc}: only that role or an admin can decide it.` };
  return { ok: true, why: null };
}

/** "Request 1 of 2 — the agent resumes when all 2 are decided". */
export function batchPosition(b: { index: number; size: number }): string {
  return `Request ${b.index + 1} of ${b.size} — the agent resumes when all ${b.size} are decided`;
}
