import { useState } from 'react';
import type { BackendView } from '../../api';
import { useConfigSave } from './useConfigSave';
import {
  PLACEHOLDERS,
  TEMPLATE_DECISIONS,
  TEMPLATE_DECISION_LABEL,
  addTemplateRow,
  changeTemplateRow,
  parseTemplateRows,
  removeTemplateRow,
  sameTemplates,
  templateRows,
  withTemplates,
  type TemplateRow,
} from './interruptTemplates';

function TemplateEditor({
  row,
  index,
  onChange,
  onRemove,
}: {
  row: TemplateRow;
  index: number;
  onChange: (patch: Partial<TemplateRow>) => void;
  onRemove: () => void;
}) {
  const n = index + 1;
  return (
    <fieldset className="interrupt-template" data-testid="template-row" data-graph={row.graph} data-node={row.node}>
      <legend>Template {n}</legend>
      <div className="decide-row">
        <label className="field-inline">
          Graph{' '}
          <input
            type="text"
            data-testid="template-graph"
            aria-label={`Graph id, template ${n}`}
            placeholder="custom_ask or *"
            value={row.graph}
            spellCheck={false}
            onChange={(e) => onChange({ graph: e.target.value })}
          />
        </label>
        <label className="field-inline">
          Node{' '}
          <input
            type="text"
            data-testid="template-node"
            aria-label={`Node name, template ${n}`}
            placeholder="ask_shipping or *"
            value={row.node}
            spellCheck={false}
            onChange={(e) => onChange({ node: e.target.value })}
          />
        </label>
        <button type="button" className="link-button small" data-testid="template-remove" onClick={onRemove}>
          remove
        </button>
      </div>
      {TEMPLATE_DECISIONS.map((d) => (
        <label key={d} className="template-decision">
          <span className="small">
            {TEMPLATE_DECISION_LABEL[d]} resumes with <span className="muted">(JSON; empty: not offered)</span>
          </span>
          <textarea
            data-testid={`template-${d}`}
            aria-label={`${TEMPLATE_DECISION_LABEL[d]} resume value, template ${n}`}
            rows={4}
            spellCheck={false}
            value={row.decisions[d]}
            onChange={(e) => onChange({ decisions: { ...row.decisions, [d]: e.target.value } })}
          />
        </label>
      ))}
    </fieldset>
  );
}

/**
 * LangGraph Server backends: how to answer an interrupt that is neither an Agent Inbox request nor
 * LangChain's human-in-the-loop middleware (a graph's own `interrupt({...})`). Per graph and node,
 * the JSON each decision resumes the graph with; the first matching template is used, and an
 * interrupt no template matches can only be escalated. Saved into the backend's config as
 * `interrupt_templates` (checked before saving, the change audited); applies from the next sync,
 * to the interrupts already waiting too.
 */
export function InterruptTemplatesEditor({ b, onSaved }: { b: BackendView; onSaved?: (saved: BackendView) => void }) {
  const [rows, setRows] = useState<TemplateRow[]>(() => templateRows(b.config));
  const { busy, done, clearDone, save: saveConfig } = useConfigSave(b.backend_id, onSaved);
  const parsed = parseTemplateRows(rows);
  const unchanged = parsed.ok && sameTemplates(parsed.value, b.config);

  const edit = (next: TemplateRow[]) => {
    setRows(next);
    clearDone();
  };

  const save = async () => {
    if (parsed.ok) await saveConfig(withTemplates(b.config, parsed.value));
  };

  return (
    <section className="interrupt-templates" data-testid="interrupt-templates">
      <h4>Interrupt templates</h4>
      <p className="muted small">
        A graph that calls <code>interrupt()</code> with a payload of its own is shown as a pending item with that payload; what
        approving or denying it resumes the graph with only its author knows. Write it here per graph and node (<code>*</code>{' '}
        matches any; the first matching template wins). A string that is exactly {PLACEHOLDERS.join(', ')} or{' '}
        <code>{'{{field.NAME}}'}</code> is replaced by the reason, the reviewer, the decision, the reviewed fields or one of them.
        Without a template such an item can only be escalated.
      </p>
      {rows.length > 0 ? (
        rows.map((r, i) => (
          <TemplateEditor
            key={i}
            row={r}
            index={i}
            onChange={(patch) => edit(changeTemplateRow(rows, i, patch))}
            onRemove={() => edit(removeTemplateRow(rows, i))}
          />
        ))
      ) : (
        <p className="muted small" data-testid="templates-empty">
          No templates: interrupts with a payload of their own can only be escalated.
        </p>
      )}
      <div className="decide-row">
        <button type="button" className="btn" data-testid="template-add" onClick={() => edit(addTemplateRow(rows))}>
          Add template
        </button>
        <button type="button" className="btn" data-testid="templates-save" disabled={busy || !parsed.ok || unchanged} onClick={save}>
          Save templates
        </button>
        {!parsed.ok ? (
          <span className="warn-text small" data-testid="templates-error">
            {parsed.error}
          </span>
        ) : done ? (
          <span className="ok-text small">Saved; applies from the next sync, to the interrupts already waiting too.</span>
        ) : null}
      </div>
    </section>
  );
}
