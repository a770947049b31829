// The LangGraph backend setting `interrupt_templates` ([{graph, node, decisions: {approve,
// approve_with_edits, deny}}]) as rows the Backends view edits, and back. A graph's own
// `interrupt({...})` payload has no fixed answer: the admin writes, per graph and node, the JSON
// each decision resumes the graph with. The core reads the whole config strictly (one bad
// template and every setting falls back to its default), so rows are checked here as the core
// checks them (crates/langgraph/src/config.rs) before anything is saved.
import type { Json } from '../../api';

/** The decisions a template can answer with, in display order. */
export const TEMPLATE_DECISIONS = ['approve', 'approve_with_edits', 'deny'] as const;
export type TemplateDecision = (typeof TEMPLATE_DECISIONS)[number];

export const TEMPLATE_DECISION_LABEL: Record<TemplateDecision, string> = {
  approve: 'Approve',
  approve_with_edits: 'Approve with edits',
  deny: 'Deny',
};

/** Whole-string placeholders a template may use (and `{{field.NAME}}`). */
export const PLACEHOLDERS = ['{{reason}}', '{{reviewer}}', '{{decision}}', '{{fields}}'] as const;

/** One template as the editor holds it: each decision's JSON as text ('' = not offered). */
export interface TemplateRow {
  graph: string;
  node: string;
  decisions: Record<TemplateDecision, string>;
}

/** `{graph, node, decisions}`, as saved. */
export interface Template {
  graph: string;
  node: string;
  decisions: { [d in TemplateDecision]?: Json };
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** A graph or node name: `*`, or a name without spaces. */
const TARGET = /^(\*|[^\s*]{1,200})$/;

/** The saved templates as rows, in order. */
export function templateRows(config: Json): TemplateRow[] {
  const list = isObject(config) ? config.interrupt_templates : undefined;
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).map((t) => {
    const d = isObject(t.decisions) ? t.decisions : {};
    const text = (k: TemplateDecision) => (k in d && d[k] !== undefined ? JSON.stringify(d[k], null, 2) : '');
    return {
      graph: typeof t.graph === 'string' ? t.graph : '*',
      node: typeof t.node === 'string' ? t.node : '*',
      decisions: { approve: text('approve'), approve_with_edits: text('approve_with_edits'), deny: text('deny') },
    };
  });
}

/** Rows with an empty one added at the end (approve and deny prefilled as a start). */
export function addTemplateRow(rows: readonly TemplateRow[]): TemplateRow[] {
  return [
    ...rows,
    {
      graph: '*',
      node: '*',
      decisions: {
        approve: '{\n  "approved": true,\n  "by": "{{reviewer}}"\n}',
        approve_with_edits: '',
        deny: '{\n  "approved": false,\n  "reason": "{{reason}}"\n}',
      },
    },
  ];
}

/** Rows with row `i` changed. */
export function changeTemplateRow(rows: readonly TemplateRow[], i: number, patch: Partial<TemplateRow>): TemplateRow[] {
  return rows.map((r, j) => (j === i ? { ...r, ...patch, decisions: { ...r.decisions, ...(patch.decisions ?? {}) } } : r));
}

/** Rows without row `i`. */
export function removeTemplateRow(rows: readonly TemplateRow[], i: number): TemplateRow[] {
  return rows.filter((_, j) => j !== i);
}

/** The first `{{...}}` string in `v` that is not a placeholder, with where it is. */
function badPlaceholder(v: Json, at: string): string | null {
  if (typeof v === 'string') {
    const t = v.trim();
    if (!(t.startsWith('{{') && t.endsWith('}}') && t.length >= 4)) return null;
    if ((PLACEHOLDERS as readonly string[]).includes(t)) return null;
    const field = /^\{\{field\.(.+)\}\}$/.exec(t);
    if (field && (field[1] ?? '').trim() !== '') return null;
    return `${at}: unknown placeholder ${t} (use ${PLACEHOLDERS.join(', ')}, or {{field.NAME}})`;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = badPlaceholder(v[i] as Json, `${at}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      const bad = badPlaceholder(x, `${at}.${k}`);
      if (bad) return bad;
    }
  }
  return null;
}

/** The rows as the saved list; errors name the template and decision. */
export function parseTemplateRows(rows: readonly TemplateRow[]): { ok: true; value: Template[] } | { ok: false; error: string } {
  const value: Template[] = [];
  for (let n = 0; n < rows.length; n++) {
    const r = rows[n];
    if (!r) continue;
    const where = `template ${n + 1}`;
    const graph = r.graph.trim();
    const node = r.node.trim();
    if (!TARGET.test(graph)) return { ok: false, error: `${where}: graph ${JSON.stringify(graph)} must be a graph id or *` };
    if (!TARGET.test(node)) return { ok: false, error: `${where}: node ${JSON.stringify(node)} must be a node name or *` };
    const decisions: Template['decisions'] = {};
    for (const d of TEMPLATE_DECISIONS) {
      const text = r.decisions[d].trim();
      if (text === '') continue;
      let parsed: Json;
      try {
        parsed = JSON.parse(text) as Json;
      } catch (e) {
        return { ok: false, error: `${where}, ${TEMPLATE_DECISION_LABEL[d]}: not JSON (${e instanceof Error ? e.message : String(e)})` };
      }
      const bad = badPlaceholder(parsed, `${where}, ${TEMPLATE_DECISION_LABEL[d]}`);
      if (bad) return { ok: false, error: bad };
      decisions[d] = parsed;
    }
    if (Object.keys(decisions).length === 0) return { ok: false, error: `${where}: give the JSON of at least one decision` };
    if (value.some((t) => t.graph === graph && t.node === node)) {
      return { ok: false, error: `${where}: graph ${graph}, node ${node} is listed twice (the first would always win)` };
    }
    value.push({ graph, node, decisions });
  }
  return { ok: true, value };
}

/** `config` with its `interrupt_templates` replaced (other settings kept; none left: the key is dropped). */
export function withTemplates(config: Json, templates: Template[]): { [key: string]: Json } {
  const base = isObject(config) ? { ...config } : {};
  if (templates.length === 0) delete base.interrupt_templates;
  else base.interrupt_templates = templates as unknown as Json;
  return base;
}

/** Whether the templates say the same as the config's (JSON key order aside). */
export function sameTemplates(a: Template[], config: Json): boolean {
  const saved = parseTemplateRows(templateRows(config));
  if (!saved.ok) return false;
  return canonical(a) === canonical(saved.value);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)))
      : x,
  );
}
