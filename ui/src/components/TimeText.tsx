import { formatDateTime, formatDateTimeCompact } from '../lib/time';
import { SafeText } from './SafeText';

/** A timestamp in the user's zone, with the UTC value in the tooltip. */
export function TimeText({ value, compact = false }: { value: string | null | undefined; compact?: boolean }) {
  const t = compact ? formatDateTimeCompact(value) : formatDateTime(value);
  return (
    <time className="time" dateTime={t.valid ? value ?? undefined : undefined} title={t.title}>
      {t.valid ? t.text : <SafeText text={t.text} />}
    </time>
  );
}
