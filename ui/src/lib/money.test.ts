import { describe, expect, it } from 'vitest';
import { formatMicros, microsToDecimal } from './money';

describe('formatMicros', () => {
  it('matches the Rust Display examples', () => {
    expect(formatMicros(120_000)).toBe('$0.12');
    expect(formatMicros(4_200)).toBe('$0.0042');
    expect(formatMicros(-3_000_000)).toBe('-$3.00');
  });

  it('keeps at least two decimals and at most six', () => {
    expect(formatMicros(0)).toBe('$0.00');
    expect(formatMicros(1)).toBe('$0.000001');
    expect(formatMicros(-1)).toBe('-$0.000001');
    expect(formatMicros(1_500_000)).toBe('$1.50');
    expect(formatMicros(1_000_000_001)).toBe('$1,000.000001');
    expect(formatMicros(123_456_789)).toBe('$123.456789');
    expect(formatMicros(10_000)).toBe('$0.01');
    expect(formatMicros(100_000)).toBe('$0.10');
  });

  it('does not drift where floats would (0.1 + 0.2)', () => {
    expect(formatMicros(100_000 + 200_000)).toBe('$0.30');
  });

  it('is exact for large integers', () => {
    expect(formatMicros(9_007_199_254_740_991)).toBe('$9,007,199,254.740991');
    expect(formatMicros(-9_223_372_036_854_775_807n)).toBe('-$9,223,372,036,854.775807');
  });

  it('refuses non-integers and shows missing values as a dash', () => {
    expect(formatMicros(0.5)).toBe('invalid amount');
    expect(formatMicros(Number.NaN)).toBe('invalid amount');
    expect(formatMicros(null)).toBe('—');
    expect(formatMicros(undefined)).toBe('—');
  });
});

describe('microsToDecimal', () => {
  it('prints six places', () => {
    expect(microsToDecimal(120_000)).toBe('0.120000');
    expect(microsToDecimal(-1)).toBe('-0.000001');
  });
});
