// The price table editor's rows: exact decimal strings (never floats), per-field validation
// that mirrors the Rust side (`countersign_receiver::prices::validate`), and the wire shape.
import type { PriceRow } from '../../api/types';

export interface PriceDraft {
  /** Stable React key. */
  key: number;
  model: string;
  /** YYYY-MM-DD. */
  effectiveFrom: string;
  /** USD per 1M input tokens, decimal text. */
  input: string;
  /** USD per 1M output tokens, decimal text. */
  output: string;
}

export type PriceField = 'model' | 'effectiveFrom' | 'input' | 'output';
export type RowErrors = Partial<Record<PriceField, string>>;

let nextKey = 1;

export function toDrafts(rows: PriceRow[]): PriceDraft[] {
  return rows.map((r) => ({
    key: nextKey++,
    model: r.model,
    effectiveFrom: r.effective_from,
    input: trimZeros(r.input_usd_per_mtok),
    output: trimZeros(r.output_usd_per_mtok),
  }));
}

/** A blank row effective from `today` (YYYY-MM-DD, UTC). */
export function newDraft(today: string): PriceDraft {
  return { key: nextKey++, model: '', effectiveFrom: today, input: '', output: '' };
}

/** Today's UTC date as YYYY-MM-DD. */
export function utcToday(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** "2.500000" → "2.50", "0.000001" stays, "3.000000" → "3.00": exact, easier to read. */
export function trimZeros(decimal: string): string {
  const m = /^(\d+)\.(\d*?)0*$/.exec(decimal);
  if (!m) return decimal;
  const frac = (m[2] ?? '').padEnd(2, '0');
  return `${m[1]}.${frac}`;
}

const DECIMAL = /^\d+(\.\d{1,6})?$/;

/** Why `text` is not a price, or null. */
export function priceError(text: string): string | null {
  const t = text.trim();
  if (t === '') return 'required';
  if (t.startsWith('-')) return 'must not be negative';
  if (!DECIMAL.test(t)) {
    if (/^\d+\.\d{7,}$/.test(t)) return 'at most 6 decimal places (a micro-dollar)';
    return 'a decimal number of dollars, e.g. 2.50';
  }
  return null;
}

/** Why `text` is not a YYYY-MM-DD date, or null. */
export function dateError(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return 'YYYY-MM-DD';
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return 'not a calendar date';
  return null;
}

/** Errors per row (same order as `drafts`); an empty object when the row is fine. */
export function validateDrafts(drafts: PriceDraft[]): RowErrors[] {
  const seen = new Map<string, number>();
  return drafts.map((d, i) => {
    const e: RowErrors = {};
    const model = d.model.trim();
    if (model === '') e.model = 'required';
    const de = dateError(d.effectiveFrom);
    if (de) e.effectiveFrom = de;
    const ie = priceError(d.input);
    if (ie) e.input = ie;
    const oe = priceError(d.output);
    if (oe) e.output = oe;
    if (model !== '' && !de) {
      const k = `${model}\u0000${d.effectiveFrom.trim()}`;
      const first = seen.get(k);
      if (first !== undefined) e.effectiveFrom = `row ${first + 1} already prices ${model} from this date`;
      else seen.set(k, i);
    }
    return e;
  });
}

export function hasErrors(errors: RowErrors[]): boolean {
  return errors.some((e) => Object.keys(e).length > 0);
}

/** Drafts → what `set_price_table` takes (trimmed text, exact). */
export function toRows(drafts: PriceDraft[]): PriceRow[] {
  return drafts.map((d) => ({
    model: d.model.trim(),
    effective_from: d.effectiveFrom.trim(),
    input_usd_per_mtok: d.input.trim(),
    output_usd_per_mtok: d.output.trim(),
  }));
}

/** Whether the drafts say something else than `rows` (the saved table). */
export function isDirty(drafts: PriceDraft[], rows: PriceRow[]): boolean {
  const a = toRows(drafts);
  if (a.length !== rows.length) return true;
  return a.some((r, i) => {
    const b = rows[i];
    return (
      !b ||
      r.model !== b.model ||
      r.effective_from !== b.effective_from ||
      !sameDecimal(r.input_usd_per_mtok, b.input_usd_per_mtok) ||
      !sameDecimal(r.output_usd_per_mtok, b.output_usd_per_mtok)
    );
  });
}

/** Exact comparison of two decimal strings ("2.5" = "2.500000"). */
export function sameDecimal(a: string, b: string): boolean {
  const norm = (s: string) => {
    const [i = '', f = ''] = s.trim().split('.');
    return `${i.replace(/^0+(?=\d)/, '')}.${f.replace(/0+$/, '')}`;
  };
  return norm(a) === norm(b);
}

/** The receiver port typed by the user: 0–65535, or an error. */
export function parsePort(text: string): { ok: true; port: number } | { ok: false; error: string } {
  const t = text.trim();
  if (!/^\d{1,5}$/.test(t)) return { ok: false, error: 'a port number, 0–65535 (0 = any free port)' };
  const n = Number(t);
  if (n > 65535) return { ok: false, error: 'a port number, 0–65535 (0 = any free port)' };
  return { ok: true, port: n };
}
