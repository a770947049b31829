import { describe, expect, it } from 'vitest';
import { DOLLAR_INPUT_EXAMPLES } from '../api/generated/constants';
import { microsToDollarInput, parseDollarsToMicros } from './moneyInput';

describe('parseDollarsToMicros', () => {
  it('parses whole and fractional dollars exactly', () => {
    expect(parseDollarsToMicros('12')).toEqual({ ok: true, micros: 12_000_000 });
    expect(parseDollarsToMicros('0.5')).toEqual({ ok: true, micros: 500_000 });
    expect(parseDollarsToMicros('.25')).toEqual({ ok: true, micros: 250_000 });
    expect(parseDollarsToMicros('3.')).toEqual({ ok: true, micros: 3_000_000 });
    expect(parseDollarsToMicros(' $1,234.000001 ')).toEqual({ ok: true, micros: 1_234_000_001 });
    expect(parseDollarsToMicros('0.000001')).toEqual({ ok: true, micros: 1 });
  });

  it('does not drift where floats would', () => {
    // 0.29 * 1e6 = 290000.00000000006 and 1.005 * 1e6 = 1004999.9999999999 in floats.
    expect(parseDollarsToMicros('0.29')).toEqual({ ok: true, micros: 290_000 });
    expect(parseDollarsToMicros('1.005')).toEqual({ ok: true, micros: 1_005_000 });
    expect(parseDollarsToMicros('9007199254.740991')).toEqual({ ok: true, micros: Number.MAX_SAFE_INTEGER });
  });

  it('treats empty as no bound', () => {
    expect(parseDollarsToMicros('')).toEqual({ ok: true, micros: null });
    expect(parseDollarsToMicros('   ')).toEqual({ ok: true, micros: null });
  });

  it('refuses negatives, too many decimals, garbage and overflow', () => {
    for (const bad of ['-1', '1.0000001', 'abc', '1e3', '1,23', '.', '$', '1.2.3', '0x10', '9007199254.740992', 'NaN', 'Infinity']) {
      expect(parseDollarsToMicros(bad).ok, bad).toBe(false);
    }
  });

  it('round-trips through the canonical text', () => {
    for (const m of [0, 1, 10, 500_000, 12_000_000, 1_234_000_001]) {
      const text = microsToDollarInput(m);
      expect(parseDollarsToMicros(text)).toEqual({ ok: true, micros: m });
    }
    expect(microsToDollarInput(500_000)).toBe('0.5');
    expect(microsToDollarInput(12_000_000)).toBe('12');
    expect(microsToDollarInput(1)).toBe('0.000001');
  });
});

describe('parseDollarsToMicros agrees with the Rust rule', () => {
  it('gives the answer Rust gave for every generated example', () => {
    expect(DOLLAR_INPUT_EXAMPLES.length).toBeGreaterThan(10);
    for (const [text, rust] of DOLLAR_INPUT_EXAMPLES) {
      const got = parseDollarsToMicros(text);
      const want = typeof rust === 'object' && rust !== null ? { error: rust.error } : { micros: rust };
      const have = got.ok ? { micros: got.micros } : { error: got.code };
      expect(have, JSON.stringify(text)).toEqual(want);
    }
  });
});
