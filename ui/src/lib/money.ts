// The one money formatter of the UI, from integer micro-dollars. Integer (BigInt) math only,
// no float division.

const PER_USD = 1_000_000n;
const PER_CENT = 10_000n;

/**
 * How precisely an amount is shown: `cents` for reading (what finance reads: `$0.05`,
 * `$1,234.50`; a non-zero amount under a cent keeps two significant digits, `$0.0042`), `exact`
 * for amounts a person typed and must tell apart (budget caps and their changes: `$30.000001`).
 */
export type MoneyPrecision = 'cents' | 'exact';

/**
 * `$0.12`, `$1,234.50`, `-$3.00`, `$0.0042` at cents precision (rounded half away from zero);
 * with `exact`, at least two decimals and more only as needed to be exact (up to six).
 * Non-integer input is not money and is shown as `invalid amount`; missing as `—`.
 */
export function formatMicros(micros: number | bigint | null | undefined, precision: MoneyPrecision = 'cents'): string {
  const v = toBig(micros);
  if (v === null) return '—';
  if (v === 'invalid') return 'invalid amount';
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const sign = neg ? '-' : '';
  if (precision === 'exact') return `${sign}$${exactDigits(abs)}`;
  if (abs === 0n) return '$0.00';
  if (abs < PER_CENT) {
    const sub = subCent(abs);
    if (sub !== null) return `${sign}$${sub}`;
  }
  const cents = (abs + PER_CENT / 2n) / PER_CENT;
  return `${sign}$${groupThousands((cents / 100n).toString())}.${(cents % 100n).toString().padStart(2, '0')}`;
}

/** "$0.004213 exactly (4,213 micro-dollars)": the exact value, shown on demand (a tooltip). */
export function exactMoneyText(micros: number | bigint | null | undefined): string {
  const v = toBig(micros);
  if (v === null) return '';
  if (v === 'invalid') return 'invalid amount';
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const sign = neg ? '-' : '';
  const unit = abs === 1n ? 'micro-dollar' : 'micro-dollars';
  return `${sign}$${microsDigits(abs)} exactly (${sign}${groupThousands(abs.toString())} ${unit})`;
}

/** Exact six-place decimal text (`0.120000`), as exports carry it. */
export function microsToDecimal(micros: number): string {
  if (!Number.isInteger(micros)) return 'invalid';
  const v = BigInt(micros);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  return `${neg ? '-' : ''}${abs / PER_USD}.${(abs % PER_USD).toString().padStart(6, '0')}`;
}

function toBig(micros: number | bigint | null | undefined): bigint | null | 'invalid' {
  if (micros === null || micros === undefined) return null;
  if (typeof micros === 'bigint') return micros;
  if (!Number.isInteger(micros)) return 'invalid';
  return BigInt(micros);
}

/** `1234.000001` for 1,234,000,001 micros: grouped whole dollars, six decimals. */
function microsDigits(abs: bigint): string {
  return `${groupThousands((abs / PER_USD).toString())}.${(abs % PER_USD).toString().padStart(6, '0')}`;
}

/** Like [`microsDigits`] with trailing zeros dropped down to two decimals. */
function exactDigits(abs: bigint): string {
  let frac = (abs % PER_USD).toString().padStart(6, '0');
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
  return `${groupThousands((abs / PER_USD).toString())}.${frac}`;
}

/**
 * `0.0042` for 4,213 micros: an amount in (0, 1 cent) to two significant digits; null when it
 * rounds up to a whole cent (9,950 micros and more).
 */
function subCent(abs: bigint): string | null {
  const len = abs.toString().length; // 1..4 digits
  let r = abs;
  if (len > 2) {
    const f = 10n ** BigInt(len - 2);
    r = ((abs + f / 2n) / f) * f;
  }
  if (r >= PER_CENT) return null;
  return exactDigits(r);
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
