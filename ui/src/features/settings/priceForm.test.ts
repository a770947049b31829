import { describe, expect, it } from 'vitest';
import {
  dateError,
  hasErrors,
  isDirty,
  newDraft,
  parsePort,
  priceError,
  sameDecimal,
  toDrafts,
  toRows,
  trimZeros,
  utcToday,
  validateDrafts,
} from './priceForm';

const row = (model: string, from: string, input: string, output: string) => ({
  model,
  effective_from: from,
  input_usd_per_mtok: input,
  output_usd_per_mtok: output,
});

describe('price form', () => {
  it('shows exact six-place decimals shorter, without losing a digit', () => {
    expect(trimZeros('2.500000')).toBe('2.50');
    expect(trimZeros('3.000000')).toBe('3.00');
    expect(trimZeros('0.000001')).toBe('0.000001');
    expect(trimZeros('0.150000')).toBe('0.15');
    expect(trimZeros('10')).toBe('10');
    expect(sameDecimal('2.5', '2.500000')).toBe(true);
    expect(sameDecimal('02.50', '2.5')).toBe(true);
    expect(sameDecimal('2.5', '2.05')).toBe(false);
  });

  it('refuses what the Rust side refuses, per field', () => {
    expect(priceError('2.50')).toBeNull();
    expect(priceError('0.000001')).toBeNull();
    expect(priceError('')).toBe('required');
    expect(priceError('-1')).toMatch(/negative/);
    expect(priceError('0.0000001')).toMatch(/6 decimal places/);
    expect(priceError('1e3')).toMatch(/decimal/);
    expect(priceError('$2')).toMatch(/decimal/);
    expect(dateError('2025-02-28')).toBeNull();
    expect(dateError('2025-02-30')).toMatch(/calendar/);
    expect(dateError('25-1-1')).toBe('YYYY-MM-DD');
  });

  it('flags an empty model and two prices for one model and day', () => {
    const drafts = toDrafts([row('gpt-4o', '2024-08-06', '2.500000', '10.000000'), row('gpt-4o', '2025-01-01', '2', '8')]);
    expect(hasErrors(validateDrafts(drafts))).toBe(false);
    const dup = [...drafts, { ...newDraft('2024-08-06'), model: ' gpt-4o ', input: '1', output: '1' }];
    const errs = validateDrafts(dup);
    expect(errs[2]?.effectiveFrom).toMatch(/row 1 already prices gpt-4o/);
    const blank = validateDrafts([newDraft('2025-01-01')]);
    expect(blank[0]).toMatchObject({ model: 'required', input: 'required', output: 'required' });
  });

  it('round-trips rows exactly and knows when they changed', () => {
    const saved = [row('gpt-4o-mini', '2024-07-18', '0.150000', '0.600000')];
    const drafts = toDrafts(saved);
    expect(drafts[0]).toMatchObject({ input: '0.15', output: '0.60' });
    expect(isDirty(drafts, saved)).toBe(false);
    expect(toRows(drafts)).toEqual([row('gpt-4o-mini', '2024-07-18', '0.15', '0.60')]);
    expect(isDirty([{ ...drafts[0]!, output: '0.61' }], saved)).toBe(true);
    expect(isDirty([], saved)).toBe(true);
  });

  it('today is the UTC day; ports are 0–65535', () => {
    expect(utcToday(new Date('2026-11-25T23:30:00-05:00'))).toBe('2026-11-26');
    expect(parsePort('4318')).toEqual({ ok: true, port: 4318 });
    expect(parsePort('0')).toEqual({ ok: true, port: 0 });
    expect(parsePort('65536').ok).toBe(false);
    expect(parsePort('43a').ok).toBe(false);
  });
});
