import { describe, expect, it } from 'vitest';
import type { ActionItem, ActionStatus, PendingAction } from '../api/types';
import { batchHold, batchPosition, decisionRight, describeDelivery, keyFields, notDecidableReason, sortQueue, statusAt, timeLeft } from './queue';

const now = new Date('2026-11-25T16:00:00Z');

function item(id: string, status: ActionStatus, expires: string, requested = '2026-11-25T15:00:00Z'): ActionItem {
  const action = {
    action_id: id,
    status,
    expires_at: expires,
    requested_at: requested,
    fields: [],
  } as unknown as PendingAction;
  return { backend_id: 'b', backend_name: 'B', action, effective_status: status };
}

describe('queue', () => {
  it('a pending item past its deadline is expired, never denied', () => {
    expect(statusAt(item('a', 'pending', '2026-11-25T15:59:59Z'), now)).toBe('expired');
    expect(statusAt(item('a', 'pending', '2026-11-25T16:00:01Z'), now)).toBe('pending');
    expect(statusAt(item('a', 'expired', '2026-11-25T15:00:00Z'), now)).toBe('expired');
    expect(statusAt(item('a', 'denied', '2026-11-25T15:00:00Z'), now)).toBe('denied');
  });

  it('sorts pending first, nearest expiry first, then the others newest first', () => {
    const items = [
      item('done-old', 'executed', '2026-11-26T00:00:00Z', '2026-11-20T00:00:00Z'),
      item('late', 'pending', '2026-11-25T20:00:00Z'),
      item('gone', 'pending', '2026-11-25T15:00:00Z', '2026-11-24T00:00:00Z'),
      item('soon', 'pending', '2026-11-25T16:05:00Z'),
      item('done-new', 'denied', '2026-11-26T00:00:00Z', '2026-11-25T00:00:00Z'),
    ];
    expect(sortQueue(items, now).map((i) => i.action.action_id)).toEqual(['soon', 'late', 'done-new', 'gone', 'done-old']);
  });

  it('time left counts down and turns into expired', () => {
    expect(timeLeft('2026-11-25T16:00:45Z', now)).toEqual({ expired: false, text: '45 s', urgent: true });
    expect(timeLeft('2026-11-25T16:12:05Z', now).text).toBe('12 m 05 s');
    expect(timeLeft('2026-11-25T19:04:59Z', now)).toEqual({ expired: false, text: '3 h 04 m', urgent: false });
    expect(timeLeft('2026-11-27T18:00:00Z', now).text).toBe('2 d 2 h');
    expect(timeLeft('2026-11-25T16:00:00Z', now)).toEqual({ expired: true, text: 'expired', urgent: false });
    expect(timeLeft('nonsense', now).text).toBe('—');
  });

  it('key fields put money, currency and region first', () => {
    const fs = [
      { name: 'order_id', kind: 'identifier' },
      { name: 'region', kind: 'region' },
      { name: 'amount', kind: 'money' },
      { name: 'currency', kind: 'currency' },
    ] as never[];
    expect(keyFields(fs).map((f: { name: string }) => f.name)).toEqual(['amount', 'currency', 'region']);
  });

  it('delivery states read plainly', () => {
    expect(describeDelivery({ state: 'queued', attempts: 0, last_error: null, op: 'decision' }).label).toBe('waiting to send');
    const q = describeDelivery({ state: 'queued', attempts: 3, last_error: 'connection refused', op: 'decision' });
    expect(q.detail).toBe('3 attempts; last error: connection refused');
    expect(describeDelivery({ state: 'delivered', attempts: 1, last_error: null, op: 'decision' }).label).toBe('delivered');
    expect(describeDelivery({ state: 'conflict', attempts: 1, last_error: 'already executed', op: 'decision' }).label).toBe(
      'conflict: decided elsewhere / expired',
    );
    expect(describeDelivery({ state: 'rejected', attempts: 1, last_error: 'field amount: bad', op: 'decision' }).label).toBe(
      'rejected: field amount: bad',
    );
  });

  it('a decision held for its batch says what it waits for', () => {
    const held = { state: 'queued' as const, attempts: 0, last_error: 'note', op: 'decision', response: { held: 'batch', waiting_for: 1, size: 2, escalated: 0 } };
    const d = describeDelivery(held);
    expect(d.label).toBe('waiting for 1 other request of this interrupt');
    expect(d.detail).toContain('when all 2 requests of this interrupt are decided');
    expect(batchHold(held)).toEqual({ waitingFor: 1, size: 2, escalated: 0 });
    expect(describeDelivery({ ...held, response: { held: 'batch', waiting_for: 2, size: 3, escalated: 1 } }).label).toBe(
      'waiting for 2 other requests of this interrupt',
    );
    expect(batchHold({ state: 'delivered', response: held.response })).toBeNull();
    expect(batchHold({ state: 'queued', response: null })).toBeNull();
    expect(batchPosition({ index: 0, size: 2 })).toBe('Request 1 of 2 — the agent resumes when all 2 are decided');
  });

  it('says why an item cannot be decided', () => {
    expect(notDecidableReason('pending')).toBeNull();
    expect(notDecidableReason('expired')).toMatch(/^Expired/);
    expect(notDecidableReason('denied', 'u_grace')).toBe('Already denied by u_grace.');
  });
});

describe('decisionRight', () => {
  const item = (esc: string | null = null) => ({ backend_id: 'b', action: { escalated_to: esc } });
  const backends = (roles: string[]) => [{ backend_id: 'b', whoami: { roles, display_name: 'Dana' } }];
  it('lets reviewers and admins decide, hides decisions from others', () => {
    expect(decisionRight(backends(['reviewer']), item())?.ok).toBe(true);
    expect(decisionRight(backends(['admin']), item())?.ok).toBe(true);
    expect(decisionRight(backends(['finance']), item())?.ok).toBe(false);
    expect(decisionRight(null, item())).toBeNull();
  });
  it('keeps an escalated item for the role it was escalated to', () => {
    expect(decisionRight(backends(['reviewer']), item('finance'))?.ok).toBe(false);
    expect(decisionRight(backends(['reviewer', 'finance']), item('finance'))?.ok).toBe(true);
  });
});
