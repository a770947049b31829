// The changed settings of an audit event that records `before` and `after` (a backend added,
// replaced, edited or removed; its review settings; the price table), one line per field.

export interface SettingChange {
  field: string;
  before: string;
  after: string;
}

function show(v: unknown): string {
  if (v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fields that differ between `details.before` and `details.after`; null when the event has neither. */
export function settingsDiff(details: unknown): SettingChange[] | null {
  if (!isObject(details) || !('before' in details) || !('after' in details)) return null;
  const { before, after } = details;
  if (!isObject(before) || !isObject(after)) {
    return show(before) === show(after) ? [] : [{ field: '(all)', before: before === null ? 'none' : show(before), after: after === null ? 'none' : show(after) }];
  }
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => show(before[k]) !== show(after[k])).map((k) => ({ field: k, before: show(before[k]), after: show(after[k]) }));
}
