// Dollar amounts typed by a person → integer micro-dollars, with string math only (no floats).

export const MAX_SAFE_MICROS = Number.MAX_SAFE_INTEGER;

export type ParsedMicros = { ok: true; micros: number | null } | { ok: false; error: string };

/**
 * Parses "12", "0.5", "$1,234.000001", " .25 " into micros. Empty input is `{ok, micros: null}`
 * (no bound). Negative amounts, more than six decimals and non-numbers are refused.
 */
export function parseDollarsToMicros(input: string): ParsedMicros {
  let s = input.trim();
  if (s === '') return { ok: true, micros: null };
  if (s.startsWith('$')) s = s.slice(1).trim();
  if (s.startsWith('-')) return { ok: false, error: 'must not be negative' };
  if (s.startsWith('+')) s = s.slice(1);
  // Thousands separators only in the whole part, in groups of three.
  const m = /^(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) return { ok: false, error: 'not a dollar amount' };
  const whole = (m[1] ?? '').replace(/,/g, '');
  const frac = m[2] ?? '';
  if (whole === '' && frac === '') return { ok: false, error: 'not a dollar amount' };
  if (frac.length > 6) return { ok: false, error: 'at most six decimals (one micro-dollar)' };
  const digits = `${whole || '0'}${frac.padEnd(6, '0')}`;
  const v = BigInt(digits);
  if (v > BigInt(MAX_SAFE_MICROS)) return { ok: false, error: 'too large' };
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
