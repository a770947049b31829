import { formatMicros, microsToDecimal } from '../lib/money';

export function Money({ micros }: { micros: number | null | undefined }) {
  if (micros === null || micros === undefined) return <span className="muted">—</span>;
  return (
    <span className="money" title={`${microsToDecimal(micros)} USD`}>
      {formatMicros(micros)}
    </span>
  );
}
