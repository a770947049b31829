/** Pretty JSON text for display in <pre>; never parsed as markup. */
export function prettyJson(value: unknown): string {
  if (value === undefined) return '—';
  try {
    const s = JSON.stringify(value, null, 2);
    return s === undefined ? String(value) : s;
  } catch {
    return String(value);
  }
}

/** True for null, empty object and empty array: nothing worth a block. */
export function isEmptyJson(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value as object).length === 0;
  return false;
}
