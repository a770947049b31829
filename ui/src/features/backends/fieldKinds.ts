// The LangGraph backend setting `field_kinds` ({action: {argument: kind}}) as rows the Backends
// view edits, and back. The core reads the whole config strictly (one unknown kind and every
// setting falls back to its default), so only the six kinds can be saved.
import type { FieldKind, Json } from '../../api';
import { FIELD_KIND_HINTS } from '../../api/generated/constants';
import { NAME, withConfigKey } from './kinds';

/** Every kind an argument can be set to, in the generated order. */
export const FIELD_KINDS = Object.keys(FIELD_KIND_HINTS) as FieldKind[];

/** One argument's kind as the editor holds it. */
export interface FieldKindRow {
  action: string;
  argument: string;
  /** A kind the core knows, or the unknown text found in the saved config. */
  kind: string;
}

/** `{action: {argument: kind}}`, as saved. */
export type FieldKindMap = { [action: string]: { [argument: string]: FieldKind } };


function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Whether `kind` is one of the six kinds. */
export function isFieldKind(kind: string): kind is FieldKind {
  return (FIELD_KINDS as string[]).includes(kind);
}

/** The saved `field_kinds` as rows, in the config's order. */
export function fieldKindRows(config: Json): FieldKindRow[] {
  const fk = isObject(config) ? config.field_kinds : undefined;
  if (!isObject(fk)) return [];
  const rows: FieldKindRow[] = [];
  for (const [action, args] of Object.entries(fk)) {
    if (!isObject(args)) continue;
    for (const [argument, kind] of Object.entries(args)) rows.push({ action, argument, kind: typeof kind === 'string' ? kind : String(kind) });
  }
  return rows;
}

/** Rows with an empty one added at the end (its kind `text` until changed). */
export function addFieldKindRow(rows: readonly FieldKindRow[], action = ''): FieldKindRow[] {
  return [...rows, { action, argument: '', kind: 'text' }];
}

/** Rows with row `i` changed. */
export function changeFieldKindRow(rows: readonly FieldKindRow[], i: number, patch: Partial<FieldKindRow>): FieldKindRow[] {
  return rows.map((r, j) => (j === i ? { ...r, ...patch } : r));
}

/** Rows without row `i`. */
export function removeFieldKindRow(rows: readonly FieldKindRow[], i: number): FieldKindRow[] {
  return rows.filter((_, j) => j !== i);
}

/** The rows as the saved map; errors name the row. Rows left wholly blank are skipped. */
export function parseFieldKindRows(rows: readonly FieldKindRow[]): { ok: true; value: FieldKindMap } | { ok: false; error: string } {
  const value: FieldKindMap = {};
  for (let n = 0; n < rows.length; n++) {
    const r = rows[n];
    if (!r) continue;
    const action = r.action.trim();
    const argument = r.argument.trim();
    if (action === '' && argument === '') continue;
    const where = `row ${n + 1}`;
    if (!NAME.test(action)) return { ok: false, error: `${where}: action name ${JSON.stringify(action)} is not a plain name` };
    if (!NAME.test(argument)) return { ok: false, error: `${where}: argument name ${JSON.stringify(argument)} is not a plain name` };
    if (!isFieldKind(r.kind)) return { ok: false, error: `${where}: ${JSON.stringify(r.kind)} is not a kind (${FIELD_KINDS.join(', ')})` };
    const forAction = (value[action] ??= {});
    if (argument in forAction) return { ok: false, error: `${where}: ${action}.${argument} is listed twice` };
    forAction[argument] = r.kind;
  }
  return { ok: true, value };
}

/** `config` with its `field_kinds` replaced (other settings kept; none left: the key is dropped). */
export function withFieldKinds(config: Json, kinds: FieldKindMap): { [key: string]: Json } {
  return withConfigKey(config, 'field_kinds', kinds);
}

/** Whether two configs' `field_kinds` say the same (key order aside). */
export function sameFieldKinds(a: FieldKindMap, config: Json): boolean {
  const saved = parseFieldKindRows(fieldKindRows(config));
  if (!saved.ok) return false;
  const norm = (m: FieldKindMap) =>
    JSON.stringify(
      Object.keys(m)
        .sort()
        .map((k) => [k, Object.entries(m[k] ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))]),
    );
  return norm(a) === norm(saved.value);
}
