// The LangGraph interrupt-templates editor: rows in and out of the backend config, checked as
// the core checks them, other settings kept.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { BackendView, Json } from '../../api';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { BackendRow } from './BackendRow';
import { InterruptTemplatesEditor } from './InterruptTemplatesEditor';
import {
  addTemplateRow,
  changeTemplateRow,
  parseTemplateRows,
  removeTemplateRow,
  sameTemplates,
  templateRows,
  withTemplates,
} from './interruptTemplates';

const config: Json = {
  confirm_fields: { issue_refund: ['amount'] },
  interrupt_templates: [
    { graph: 'custom_ask', node: 'ask_shipping', decisions: { approve: { ship: true, by: '{{reviewer}}' }, deny: { ship: false, reason: '{{reason}}' } } },
  ],
};

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

function backend(kind: string, cfg: Json): BackendView {
  return {
    backend_id: `b-${kind}`,
    name: `${kind} backend`,
    url: 'http://127.0.0.1:9',
    kind,
    added_at: '2026-11-25T15:00:00Z',
    embedded: false,
    allow_http: false,
    health: { state: 'healthy', last_success_at: null, last_attempt_at: null, last_error: null, consecutive_failures: 0 },
    whoami: null,
    counts: { runs: 0, actions_pending: 0, quarantined: 0 },
    config: cfg,
  };
}

describe('interrupt templates', () => {
  it('reads the saved templates as rows and writes them back unchanged', () => {
    const rows = templateRows(config);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.graph).toBe('custom_ask');
    expect(rows[0]?.decisions.approve_with_edits).toBe('');
    expect(JSON.parse(rows[0]?.decisions.deny ?? '')).toEqual({ ship: false, reason: '{{reason}}' });
    const p = parseTemplateRows(rows);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(sameTemplates(p.value, config)).toBe(true);
    expect(withTemplates(config, p.value)).toEqual(config);
    expect(templateRows(null)).toEqual([]);
    expect(templateRows({ interrupt_templates: 'x' })).toEqual([]);
  });

  it('adds, changes and removes templates, other settings kept', () => {
    let rows = addTemplateRow(templateRows(config));
    rows = changeTemplateRow(rows, 1, { graph: 'deploys', decisions: { ...rows[1]!.decisions, deny: '' } });
    const p = parseTemplateRows(rows);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    const saved = withTemplates(config, p.value) as { [k: string]: Json };
    expect(saved.confirm_fields).toEqual({ issue_refund: ['amount'] });
    expect((saved.interrupt_templates as Json[])[1]).toEqual({
      graph: 'deploys',
      node: '*',
      decisions: { approve: { approved: true, by: '{{reviewer}}' } },
    });
    const none = parseTemplateRows(removeTemplateRow(removeTemplateRow(rows, 1), 0));
    expect(none.ok && withTemplates(config, none.value)).toEqual({ confirm_fields: { issue_refund: ['amount'] } });
  });

  it('refuses what the core would not read', () => {
    const base = templateRows(config)[0]!;
    const bad = (patch: Parameters<typeof changeTemplateRow>[2]) => {
      const p = parseTemplateRows(changeTemplateRow([base], 0, patch));
      return p.ok ? null : p.error;
    };
    expect(bad({ decisions: { ...base.decisions, approve: '{ship: true}' } })).toMatch(/template 1, Approve: not JSON/);
    expect(bad({ decisions: { ...base.decisions, deny: '{"by": "{{who}}"}' } })).toMatch(/unknown placeholder \{\{who\}\}/);
    expect(bad({ decisions: { approve: '', approve_with_edits: '', deny: '' } })).toMatch(/at least one decision/);
    expect(bad({ graph: 'my graph' })).toMatch(/graph id or \*/);
    expect(bad({ node: '' })).toMatch(/node name or \*/);
    expect(bad({ decisions: { ...base.decisions, approve: '{"f": "{{field.order_id}}", "all": "{{fields}}"}' } })).toBeNull();
    const twice = parseTemplateRows([base, base]);
    expect(twice.ok ? null : twice.error).toMatch(/listed twice/);
  });

  it('renders a template per row, save disabled until a change, on LangGraph rows only', () => {
    const html = wrap(<InterruptTemplatesEditor b={backend('langgraph', config)} />);
    expect(html).toMatch(/data-testid="template-row" data-graph="custom_ask" data-node="ask_shipping"/);
    expect(html).toMatch(/<button[^>]*data-testid="templates-save"[^>]*disabled=""/);
    expect(html).toContain('data-testid="template-approve_with_edits"');
    const empty = wrap(<InterruptTemplatesEditor b={backend('langgraph', {})} />);
    expect(empty).toContain('data-testid="templates-empty"');
    const lg = wrap(<BackendRow b={backend('langgraph', config)} onRemoved={() => {}} />);
    expect(lg).toMatch(/data-testid="field-kinds"[^]*data-testid="interrupt-templates"/);
    const phoenix = wrap(<BackendRow b={backend('phoenix', {})} onRemoved={() => {}} />);
    expect(phoenix).not.toContain('data-testid="interrupt-templates"');
  });
});
