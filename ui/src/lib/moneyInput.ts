// Dollar amounts typed by a person → integer micro-dollars, with string math only (no floats).
// The rule is Rust's (`Micros::parse_dollar_input`); moneyInput.test.ts checks this reading
// against the Rust answers generated into DOLLAR_INPUT_EXAMPLES.
import { MAX_EXACT_MICROS } from '../api/generated/constants';

export const MAX_SAFE_MICROS = MAX_EXACT_MICROS;

/** Why typed dollars were refused (the Rust `MoneyError` kinds). */
export type MoneyErrorCode = 'syntax' | 'too_precise' | 'overflow' | 'negative';

export type ParsedMicros = { ok: true; micros: number | null } | { ok: false; code: MoneyErrorCode; error: string };

function refuse(code: MoneyErrorCode, error: string): ParsedMicros {
  return { ok: false, code, error };
}

/**
 * Parses "12", "0.5", "$1,234.000001", " .25 " into micros. Empty input is `{ok, micros: null}`
 * (no bound). Negative amounts, more than six significant decimals and non-numbers are refused.
 */
export function parseDollarsToMicros(input: string): ParsedMicros {
  let s = input.trim();
  if (s === '') return { ok: true, micros: null };
  if (s.startsWith('$')) s = s.slice(1).trim();
  if (s.startsWith('-')) return refuse('negative', 'must not be negative');
  if (s.startsWith('+')) s = s.slice(1);
  // Thousands separators only in the whole part, in groups of three.
  const m = /^(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) return refuse('syntax', 'not a dollar amount');
  const whole = (m[1] ?? '').replace(/,/g, '');
  const written = m[2] ?? '';
  if (whole === '' && written === '') return refuse('syntax', 'not a dollar amount');
  // Trailing zeros change nothing: 1.5000000 is exactly 1.5.
  const frac = written.replace(/0+$/, '');
  if (frac.length > 6) return refuse('too_precise', 'at most six decimals (one micro-dollar)');
  const digits = `${whole || '0'}${frac.padEnd(6, '0')}`;
  const v = BigInt(digits);
  if (v > BigInt(MAX_SAFE_MICROS)) return refuse('overflow', 'too large');
  return { ok: true, micros: Number(v) };
}

/** Micros back to the shortest exact dollar text ("0.5", "12", "0.000001"), for inputs and URLs. */
export function microsToDollarInput(micros: number): string {
  if (!Number.isSafeInteger(micros)) return '';
  const v = BigInt(micros);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const whole = (abs / 1_000_000n).toString();
  const frac = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}
