// Exact money formatting from integer micro-dollars. Integer (BigInt) math only, no float division.

const PER_USD = 1_000_000n;

/**
 * `$0.12`, `$0.0042`, `-$3.00`, `$1,234.50`: at least two decimals, more only as needed to be
 * exact (up to six). Non-integer input is not money and is shown as `invalid amount`.
 */
export function formatMicros(micros: number | bigint | null | undefined): string {
  if (micros === null || micros === undefined) return '—';
  let v: bigint;
  if (typeof micros === 'bigint') {
    v = micros;
  } else {
    if (!Number.isInteger(micros)) return 'invalid amount';
    v = BigInt(micros);
  }
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const whole = abs / PER_USD;
  let frac = (abs % PER_USD).toString().padStart(6, '0');
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
  return `${neg ? '-' : ''}$${groupThousands(whole.toString())}.${frac}`;
}

/** Exact six-place decimal text (`0.120000`), as exports carry it. */
export function microsToDecimal(micros: number): string {
  if (!Number.isInteger(micros)) return 'invalid';
  const v = BigInt(micros);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  return `${neg ? '-' : ''}${abs / PER_USD}.${(abs % PER_USD).toString().padStart(6, '0')}`;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
