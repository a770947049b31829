import { exactMoneyText, formatMicros, type MoneyPrecision } from '../lib/money';

/**
 * An amount of integer micro-dollars at reading precision (cents, or `exact` for amounts a
 * person typed), with the exact value on demand in its tooltip.
 */
export function Money({ micros, precision = 'cents' }: { micros: number | null | undefined; precision?: MoneyPrecision }) {
  if (micros === null || micros === undefined) return <span className="muted">—</span>;
  return (
    <span className="money" title={exactMoneyText(micros)} data-micros={micros}>
      {formatMicros(micros, precision)}
    </span>
  );
}
