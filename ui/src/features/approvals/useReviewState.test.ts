// The review panel's state transitions (the reducer behind useReviewState) and the send helper.
import { describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../api';
import { deliveryEntries } from './deliveryEntries';
import { initialReviewState, reviewReducer, sendTracked, type ReviewAction, type ReviewState } from './useReviewState';

const OPENED = '2026-11-25T15:00:00.000Z';
const run = (actions: ReviewAction[], from: ReviewState = initialReviewState(OPENED)) => actions.reduce(reviewReducer, from);
const acked = (...keys: string[]) => run(keys.map((key) => ({ type: 'ack', key, on: true })));

const entry = (id: number, op: string, state: OutboxEntry['state'] = 'queued'): OutboxEntry => ({
  id,
  backend_id: 'b1',
  action_id: 'act_1',
  op,
  idempotency_key: `k${id}`,
  body: null,
  actor: 'u',
  state,
  attempts: 0,
  last_error: null,
  response: null,
  opened_at: null,
  queued_at: OPENED,
  answered_at: null,
});

describe('review state', () => {
  it('starts empty, with the opening time kept', () => {
    const s = initialReviewState(OPENED);
    expect(s.openedAt).toBe(OPENED);
    expect(s).toMatchObject({ editing: false, busy: false, error: null, lastEntry: null, edits: {}, confirmations: {} });
    expect(s.acks.size).toBe(0);
  });

  it('has no opening time until the console has recorded one', () => {
    const s = initialReviewState();
    expect(s.openedAt).toBeNull();
    expect(reviewReducer(s, { type: 'opened', at: OPENED }).openedAt).toBe(OPENED);
  });

  it('acknowledges and withdraws single warnings', () => {
    const s = run([{ type: 'ack', key: 'region:x', on: false }], acked('amount:a', 'region:x'));
    expect([...s.acks]).toEqual(['amount:a']);
  });

  it('editing a field drops only that field’s acknowledgements', () => {
    const before = acked('amount:hidden', 'amount:format', 'amount_total:big', 'region:x');
    const s = run([{ type: 'toggleEditing' }, { type: 'edit', field: 'amount', value: '100.00' }], before);
    expect(s.edits).toEqual({ amount: '100.00' });
    expect([...s.acks].sort()).toEqual(['amount_total:big', 'region:x']);
    // The earlier state is left as it was.
    expect(before.acks.size).toBe(4);
    expect(before.edits).toEqual({});
  });

  it('leaving correction mode discards edits and the acknowledgements of edited fields, not the rest', () => {
    const s0 = run([
      { type: 'confirm', field: 'region', value: true },
      { type: 'toggleEditing' },
      { type: 'edit', field: 'amount', value: '100.00' },
      { type: 'ack', key: 'amount:big', on: true },
      { type: 'ack', key: 'region:x', on: true },
    ]);
    expect(s0.editing).toBe(true);
    const s = reviewReducer(s0, { type: 'toggleEditing' });
    expect(s.editing).toBe(false);
    expect(s.edits).toEqual({});
    expect([...s.acks]).toEqual(['region:x']);
    expect(s.confirmations).toEqual({ region: true });
  });

  it('entering correction mode keeps acknowledgements and confirmations', () => {
    const s = run([{ type: 'confirm', field: 'amount', value: '120.00' }, { type: 'toggleEditing' }], acked('amount:a'));
    expect(s.editing).toBe(true);
    expect([...s.acks]).toEqual(['amount:a']);
    expect(s.confirmations).toEqual({ amount: '120.00' });
  });

  it('confirmations are per field and the last one wins', () => {
    const s = run([
      { type: 'confirm', field: 'amount', value: '12' },
      { type: 'confirm', field: 'region', value: true },
      { type: 'confirm', field: 'amount', value: '120.00' },
    ]);
    expect(s.confirmations).toEqual({ amount: '120.00', region: true });
  });

  it('text inputs and the escalation role set only their own value', () => {
    const s = run([
      { type: 'text', input: 'reasonText', value: 'wrong' },
      { type: 'text', input: 'rollbackReason', value: 'undo' },
      { type: 'escalateRole', role: 'finance' },
    ]);
    expect(s).toMatchObject({ reasonText: 'wrong', rollbackReason: 'undo', escalateRole: 'finance', pickedReason: '', escalateReason: '', editNote: '' });
  });

  it('sending clears the last error; success records the entry, failure keeps it', () => {
    const e1 = entry(1, 'decision');
    const failed = run([{ type: 'sending' }, { type: 'failed', error: { code: 'conflict', message: 'x' } }]);
    expect(failed).toMatchObject({ busy: false, error: { code: 'conflict' }, lastEntry: null });
    const sending = reviewReducer(failed, { type: 'sending' });
    expect(sending).toMatchObject({ busy: true, error: null });
    const sent = reviewReducer(sending, { type: 'sent', entry: e1 });
    expect(sent).toMatchObject({ busy: false, error: null, lastEntry: e1 });
    const again = run([{ type: 'sending' }, { type: 'failed', error: { code: 'expired', message: '' } }], sent);
    expect(again.lastEntry).toBe(e1);
  });
});

describe('sendTracked', () => {
  it('records sending then the entry, and only then calls onSent', async () => {
    const seen: string[] = [];
    const e = entry(3, 'rollback');
    await sendTracked((a) => seen.push(a.type), async () => e, () => seen.push('onSent'));
    expect(seen).toEqual(['sending', 'sent', 'onSent']);
  });

  it('turns a rejection into a failed action and skips onSent', async () => {
    const seen: ReviewAction[] = [];
    let sentCalled = false;
    await sendTracked((a) => seen.push(a), () => Promise.reject({ code: 'forbidden', message: 'no' }), () => (sentCalled = true));
    expect(seen).toEqual([{ type: 'sending' }, { type: 'failed', error: { code: 'forbidden', message: 'no' } }]);
    expect(sentCalled).toBe(false);
  });
});

describe('deliveryEntries', () => {
  it('takes the newest decision in its freshest state, and the rollback', () => {
    const mine = entry(5, 'decision', 'queued');
    const listed = [entry(5, 'decision', 'delivered'), entry(2, 'decision', 'rejected'), entry(7, 'rollback')];
    const d = deliveryEntries(listed, mine);
    expect(d.decision).toBe(listed[0]);
    expect(d.rollback).toBe(listed[2]);
  });

  it('falls back to the panel’s own entry before the outbox list has it', () => {
    const mine = entry(9, 'rollback');
    expect(deliveryEntries([entry(1, 'decision')], mine)).toEqual({ decision: entry(1, 'decision'), rollback: mine });
    expect(deliveryEntries([], null)).toEqual({ decision: null, rollback: null });
  });
});
