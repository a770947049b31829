import { describe, expect, it } from 'vitest';
import type { ReviewWarning } from '../api/types';
import type { ReviewField } from '../api/types';
import {
  allows,
  needsConfirmation,
  approveReview,
  approveWithEditsReview,
  canApprove,
  canApproveWithEdits,
  canDeny,
  canRollback,
  currentAcks,
  denyReason,
  denyReview,
  dropAcksFor,
  editedFields,
  isConfirmed,
  reenterState,
  valuesWithEdits,
  warningKey,
} from './review';

const f = (name: string, value: string, confirm: 'tick' | 'reenter', editable = true, kind: ReviewField['kind'] = 'text'): ReviewField => ({
  name,
  label: name,
  kind,
  value,
  confirm,
  editable,
  required: true,
});

const fields = [f('amount', '120.00', 'reenter', true, 'money'), f('currency', 'EUR', 'tick', true, 'currency'), f('order_id', 'ord_1', 'tick', false, 'identifier')];
const none = new Set<string>();
const w = (field: string, code: string): ReviewWarning => ({ field, code, message: `${field} ${code}` });

describe('confirmation', () => {
  it('tick fields are confirmed only by a tick', () => {
    expect(isConfirmed(fields[1]!, true)).toBe(true);
    expect(isConfirmed(fields[1]!, false)).toBe(false);
    expect(isConfirmed(fields[1]!, undefined)).toBe(false);
    expect(isConfirmed(fields[1]!, 'EUR')).toBe(false);
  });

  it('re-entered values must match exactly', () => {
    expect(isConfirmed(fields[0]!, '120.00')).toBe(true);
    expect(isConfirmed(fields[0]!, '120')).toBe(false);
    expect(isConfirmed(fields[0]!, '120.00 ')).toBe(false);
    expect(isConfirmed(fields[0]!, ' 120.00')).toBe(false);
    expect(isConfirmed(fields[0]!, true)).toBe(false);
    const hidden = f('region', 'E\u200BU', 'reenter');
    expect(isConfirmed(hidden, 'EU')).toBe(false);
  });

  it('re-entry state says match, partial or mismatch', () => {
    expect(reenterState(fields[0]!, '')).toBe('empty');
    expect(reenterState(fields[0]!, '12')).toBe('partial');
    expect(reenterState(fields[0]!, '120.00')).toBe('match');
    expect(reenterState(fields[0]!, '12.00')).toBe('mismatch');
  });
});

describe('canApprove', () => {
  it('is closed until every field is confirmed, one by one', () => {
    const c: Record<string, boolean | string> = {};
    expect(canApprove(fields, c, [], none).ok).toBe(false);
    c['currency'] = true;
    expect(canApprove(fields, c, [], none).ok).toBe(false);
    c['order_id'] = true;
    const g = canApprove(fields, c, [], none);
    expect(g.ok).toBe(false);
    expect(g.missing.join(' ')).toContain('re-enter amount');
    c['amount'] = '120.00';
    expect(canApprove(fields, c, [], none)).toEqual({ ok: true, missing: [] });
  });

  it('a re-entry mismatch keeps it closed and says so', () => {
    const g = canApprove(fields, { currency: true, order_id: true, amount: '12.00' }, [], none);
    expect(g.ok).toBe(false);
    expect(g.missing.join(' ')).toContain('does not match');
  });

  it('an unticked box keeps it closed', () => {
    const g = canApprove(fields, { currency: false, order_id: true, amount: '120.00' }, [], none);
    expect(g.ok).toBe(false);
    expect(g.missing).toEqual(['tick currency']);
  });

  it('needs every warning acknowledged', () => {
    const c = { currency: true, order_id: true, amount: '120.00' };
    const warnings = [w('currency', 'confusable'), w('currency', 'invalid_value')];
    expect(canApprove(fields, c, warnings, none).ok).toBe(false);
    expect(canApprove(fields, c, warnings, new Set(['currency:confusable'])).ok).toBe(false);
    expect(canApprove(fields, c, warnings, new Set(['currency:confusable', 'currency:invalid_value'])).ok).toBe(true);
    // An acknowledgement of another field's warning does not count.
    expect(canApprove(fields, c, warnings, new Set(['amount:confusable', 'currency:invalid_value'])).ok).toBe(false);
  });

  it('stays closed while the warnings are not known yet', () => {
    const g = canApprove(fields, { currency: true, order_id: true, amount: '120.00' }, null, none);
    expect(g.ok).toBe(false);
  });

  it('builds the review the backend checks: re-typed text, ticked values, current acks', () => {
    const warnings = [w('currency', 'confusable')];
    const r = approveReview(fields, { currency: true, order_id: true, amount: '120.00' }, warnings, new Set(['currency:confusable', 'stale:x']));
    expect(r).toEqual({
      decision: 'approve',
      fields: { amount: '120.00', currency: 'EUR', order_id: 'ord_1' },
      acknowledged: ['currency:confusable'],
      reason: null,
    });
  });
});

describe('approve with edits', () => {
  it('needs at least one edited editable field', () => {
    const c = { currency: true, order_id: true, amount: '120.00' };
    expect(canApproveWithEdits(fields, c, {}, [], none).ok).toBe(false);
    expect(canApproveWithEdits(fields, c, { amount: '120.00' }, [], none).ok).toBe(false);
    // A locked field cannot be edited: it does not count as a correction.
    expect(editedFields(fields, { order_id: 'ord_2' })).toEqual([]);
    expect(canApproveWithEdits(fields, c, { order_id: 'ord_2' }, [], none).ok).toBe(false);
    expect(canApproveWithEdits(fields, c, { amount: '100.00' }, [], none).ok).toBe(true);
  });

  it('unchanged fields still need confirming; the edited one does not', () => {
    const g = canApproveWithEdits(fields, {}, { amount: '100.00' }, [], none);
    expect(g.ok).toBe(false);
    expect(g.missing.join(' ')).toContain('confirm currency, order_id');
    expect(canApproveWithEdits(fields, { currency: true, order_id: true }, { amount: '100.00' }, [], none).ok).toBe(true);
  });

  it('an emptied value is not a correction', () => {
    expect(canApproveWithEdits(fields, { currency: true, order_id: true }, { amount: '  ' }, [], none).ok).toBe(false);
  });

  it('warnings on the edited values must be acknowledged, and go stale when the value changes', () => {
    const c = { currency: true, order_id: true };
    const warnings = [w('amount', 'locale_ambiguous_amount')];
    expect(canApproveWithEdits(fields, c, { amount: '1.000' }, warnings, none).ok).toBe(false);
    const acks = new Set(['amount:locale_ambiguous_amount', 'currency:confusable']);
    expect(canApproveWithEdits(fields, c, { amount: '1.000' }, warnings, acks).ok).toBe(true);
    expect([...dropAcksFor(acks, 'amount')]).toEqual(['currency:confusable']);
    expect(canApproveWithEdits(fields, c, { amount: '1.000' }, null, acks).ok).toBe(false);
  });

  it('sends every field, corrected ones with the new value', () => {
    expect(valuesWithEdits(fields, { amount: '100.00', order_id: 'x' })).toEqual({ amount: '100.00', currency: 'EUR', order_id: 'ord_1' });
    const r = approveWithEditsReview(fields, { amount: '100.00' }, [w('amount', 'outside_policy')], new Set(['amount:outside_policy']), ' partial ');
    expect(r).toEqual({
      decision: 'approve_with_edits',
      fields: { amount: '100.00', currency: 'EUR', order_id: 'ord_1' },
      acknowledged: ['amount:outside_policy'],
      reason: 'partial',
    });
  });
});

describe('deny and rollback', () => {
  it('deny needs a reason, picked or written', () => {
    expect(canDeny('', '').ok).toBe(false);
    expect(canDeny('', '   ').ok).toBe(false);
    expect(canDeny('Wrong currency', '').ok).toBe(true);
    expect(canDeny('', 'customer withdrew').ok).toBe(true);
    expect(denyReason('Wrong currency', ' customer withdrew ')).toBe('customer withdrew');
    expect(denyReview('Wrong currency', '')).toEqual({ decision: 'deny', fields: {}, acknowledged: [], reason: 'Wrong currency' });
  });

  it('rollback needs an executed, rollback-capable write and a reason', () => {
    expect(canRollback('executed', true, 'wrong order').ok).toBe(true);
    expect(canRollback('executed', true, ' ').ok).toBe(false);
    expect(canRollback('denied', true, 'x').ok).toBe(false);
    expect(canRollback('executed', false, 'x').ok).toBe(false);
  });

  it('keys and current acks', () => {
    expect(warningKey(w('region', 'confusable'))).toBe('region:confusable');
    expect(currentAcks([w('a', 'x'), w('a', 'x')], new Set(['a:x']))).toEqual(['a:x']);
  });
});

describe('fields not required and decisions a backend does not accept', () => {
  const optional = { ...f('resolution', 'resolved', 'tick'), required: false };
  const withOptional = [f('ticket_id', 'T-1', 'tick'), optional];

  it('approve opens without confirming a field that is not required, and leaves it out', () => {
    const gate = canApprove(withOptional, { ticket_id: true }, [], none);
    expect(gate).toEqual({ ok: true, missing: [] });
    const review = approveReview(withOptional, { ticket_id: true }, [], none);
    expect(review.fields).toEqual({ ticket_id: 'T-1' });
    expect(canApprove(withOptional, {}, [], none).missing).toEqual(['tick ticket_id']);
    expect(needsConfirmation(optional)).toBe(false);
    expect(needsConfirmation(f('x', '1', 'tick'))).toBe(true);
  });

  it('approve with edits does not ask to confirm an unchanged field that is not required', () => {
    const gate = canApproveWithEdits(withOptional, {}, { ticket_id: 'T-2' }, [], none);
    expect(gate.ok).toBe(true);
  });

  it('allows() reads the allowed decisions, none listed meaning all', () => {
    expect(allows({}, 'deny')).toBe(true);
    expect(allows({ allowed_decisions: [] }, 'approve_with_edits')).toBe(true);
    expect(allows({ allowed_decisions: ['approve', 'deny'] }, 'approve_with_edits')).toBe(false);
    expect(allows({ allowed_decisions: ['approve', 'deny'] }, 'deny')).toBe(true);
  });
});
