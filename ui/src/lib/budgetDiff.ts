// Before → after of a backend's caps, as the editor previews it and the audit trail records it.
import type { Budget } from '../api/types';
import { formatMicros } from './money';
import { scopeLabel } from './budgetForm';

type Cap = Omit<Budget, 'updated_at'> & { updated_at?: string };

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

export type DiffEntry =
  | { kind: 'added'; budget_id: string; label: string; fields: FieldChange[] }
  | { kind: 'removed'; budget_id: string; label: string; fields: FieldChange[] }
  | { kind: 'changed'; budget_id: string; label: string; fields: FieldChange[] };

export function periodLabel(b: Pick<Cap, 'period' | 'time_zone'>): string {
  return b.period === 'run' ? 'per run' : `per ${b.period} (${b.time_zone})`;
}

/** Field label → exact text, in display order. */
export function describeBudget(b: Cap): [string, string][] {
  const l = b.limits;
  const n = (v: number | null | undefined, unit = '') => (v == null ? '—' : `${v.toLocaleString('en-US')}${unit}`);
  return [
    ['scope', scopeLabel(b.scope.kind, b.scope.value)],
    ['period', periodLabel(b)],
    ['max cost', l.max_cost_micros == null ? '—' : formatMicros(l.max_cost_micros, 'exact')],
    ['max tool calls', n(l.max_tool_calls)],
    ['max wall time', n(l.max_wall_ms, ' ms')],
    ['max runs', n(l.max_runs)],
    ['enforcement', b.enforcement],
    ['alert at', `${b.alert_at_percent} %`],
  ];
}

export function capLabel(b: Cap): string {
  return `${b.enforcement} ${b.period === 'run' ? 'per-run' : b.period} cap on ${scopeLabel(b.scope.kind, b.scope.value)}`;
}

/** Caps matched by id: added, removed, and changed (only the fields that differ). */
export function diffBudgets(before: readonly Cap[], after: readonly Cap[]): DiffEntry[] {
  const out: DiffEntry[] = [];
  const prev = new Map(before.map((b) => [b.budget_id, b]));
  const next = new Map(after.map((b) => [b.budget_id, b]));
  for (const a of after) {
    const b = prev.get(a.budget_id);
    if (!b) {
      out.push({
        kind: 'added',
        budget_id: a.budget_id,
        label: capLabel(a),
        fields: describeBudget(a)
          .filter(([, v]) => v !== '—')
          .map(([field, v]) => ({ field, before: '—', after: v })),
      });
      continue;
    }
    const da = describeBudget(a);
    const db = new Map(describeBudget(b));
    const fields = da
      .filter(([f, v]) => db.get(f) !== v)
      .map(([field, v]) => ({ field, before: db.get(field) ?? '—', after: v }));
    if (fields.length) out.push({ kind: 'changed', budget_id: a.budget_id, label: capLabel(a), fields });
  }
  for (const b of before) {
    if (!next.has(b.budget_id)) {
      out.push({
        kind: 'removed',
        budget_id: b.budget_id,
        label: capLabel(b),
        fields: describeBudget(b)
          .filter(([, v]) => v !== '—')
          .map(([field, v]) => ({ field, before: v, after: '—' })),
      });
    }
  }
  return out;
}
