import { describe, expect, it } from 'vitest';
import { exactMoneyText, formatMicros, microsToDecimal } from './money';

describe('formatMicros at cents (the default)', () => {
  it('shows cents: what finance reads', () => {
    expect(formatMicros(50_000)).toBe('$0.05');
    expect(formatMicros(120_000)).toBe('$0.12');
    expect(formatMicros(1_234_500_000)).toBe('$1,234.50');
    expect(formatMicros(-3_000_000)).toBe('-$3.00');
    expect(formatMicros(0)).toBe('$0.00');
    expect(formatMicros(1_500_000)).toBe('$1.50');
    expect(formatMicros(10_000)).toBe('$0.01');
  });

  it('rounds to the nearest cent, half away from zero', () => {
    expect(formatMicros(1_234_567)).toBe('$1.23');
    expect(formatMicros(1_235_000)).toBe('$1.24');
    expect(formatMicros(1_234_999)).toBe('$1.23');
    expect(formatMicros(-1_235_000)).toBe('-$1.24');
    expect(formatMicros(999_995_000)).toBe('$1,000.00');
    expect(formatMicros(1_000_000_001)).toBe('$1,000.00');
  });

  it('keeps two significant digits of an amount under a cent, never "$0.00"', () => {
    expect(formatMicros(4_200)).toBe('$0.0042');
    expect(formatMicros(4_213)).toBe('$0.0042');
    expect(formatMicros(4_250)).toBe('$0.0043');
    expect(formatMicros(310)).toBe('$0.00031');
    expect(formatMicros(1)).toBe('$0.000001');
    expect(formatMicros(-1)).toBe('-$0.000001');
    expect(formatMicros(9_949)).toBe('$0.0099');
    expect(formatMicros(9_950)).toBe('$0.01');
  });

  it('does not drift where floats would (0.1 + 0.2)', () => {
    expect(formatMicros(100_000 + 200_000)).toBe('$0.30');
  });

  it('is exact for large integers', () => {
    expect(formatMicros(9_007_199_254_740_991)).toBe('$9,007,199,254.74');
    expect(formatMicros(-9_223_372_036_854_775_807n)).toBe('-$9,223,372,036,854.78');
  });

  it('refuses non-integers and shows missing values as a dash', () => {
    expect(formatMicros(0.5)).toBe('invalid amount');
    expect(formatMicros(Number.NaN)).toBe('invalid amount');
    expect(formatMicros(null)).toBe('—');
    expect(formatMicros(undefined)).toBe('—');
  });
});

describe('formatMicros exact', () => {
  it('keeps at least two decimals and at most six, to the micro-dollar', () => {
    expect(formatMicros(0, 'exact')).toBe('$0.00');
    expect(formatMicros(1, 'exact')).toBe('$0.000001');
    expect(formatMicros(4_200, 'exact')).toBe('$0.0042');
    expect(formatMicros(1_000_000_001, 'exact')).toBe('$1,000.000001');
    expect(formatMicros(123_456_789, 'exact')).toBe('$123.456789');
    expect(formatMicros(-9_223_372_036_854_775_807n, 'exact')).toBe('-$9,223,372,036,854.775807');
  });
});

describe('exactMoneyText', () => {
  it('names the exact value and the micro-dollars', () => {
    expect(exactMoneyText(4_213)).toBe('$0.004213 exactly (4,213 micro-dollars)');
    expect(exactMoneyText(1_234_500_000)).toBe('$1,234.500000 exactly (1,234,500,000 micro-dollars)');
    expect(exactMoneyText(-1)).toBe('-$0.000001 exactly (-1 micro-dollar)');
    expect(exactMoneyText(null)).toBe('');
  });
});

describe('microsToDecimal', () => {
  it('prints six places', () => {
    expect(microsToDecimal(120_000)).toBe('0.120000');
    expect(microsToDecimal(-1)).toBe('-0.000001');
    expect(microsToDecimal(1_234_000_001)).toBe('1234.000001');
  });
});
