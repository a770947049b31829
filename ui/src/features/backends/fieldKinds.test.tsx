// The LangGraph field-kinds editor: rows in and out of the backend config, other settings kept.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { BackendView, Json } from '../../api';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { BackendRow } from './BackendRow';
import { FieldKindsEditor } from './FieldKindsEditor';
import {
  FIELD_KINDS,
  addFieldKindRow,
  changeFieldKindRow,
  fieldKindRows,
  parseFieldKindRows,
  removeFieldKindRow,
  sameFieldKinds,
  withFieldKinds,
} from './fieldKinds';

const config: Json = {
  confirm_fields: { issue_refund: ['amount_eur'] },
  field_rules: { issue_refund: { amount_eur: { max: '500.00', currency: 'EUR' } } },
  field_kinds: { issue_refund: { amount_eur: 'money', iban: 'identifier' } },
  risk: { issue_refund: 'critical' },
  expire_after_hours: 24,
};

/** What saving the edited rows would send. */
function saved(rows: ReturnType<typeof fieldKindRows>): Json {
  const p = parseFieldKindRows(rows);
  if (!p.ok) throw new Error(p.error);
  return withFieldKinds(config, p.value);
}

const others = { ...(config as object) } as Record<string, Json>;
delete others.field_kinds;

describe('field kinds', () => {
  it('lists the six kinds from the generated hints', () => {
    expect(FIELD_KINDS).toEqual(['money', 'currency', 'region', 'identifier', 'text', 'bool']);
  });

  it('reads the saved kinds as rows', () => {
    expect(fieldKindRows(config)).toEqual([
      { action: 'issue_refund', argument: 'amount_eur', kind: 'money' },
      { action: 'issue_refund', argument: 'iban', kind: 'identifier' },
    ]);
    expect(fieldKindRows(null)).toEqual([]);
    expect(fieldKindRows({ field_kinds: 'money' })).toEqual([]);
  });

  it('adding an entry saves it beside the others, every other setting kept', () => {
    let rows = addFieldKindRow(fieldKindRows(config), 'issue_refund');
    expect(rows[2]).toEqual({ action: 'issue_refund', argument: '', kind: 'text' });
    rows = changeFieldKindRow(rows, 2, { argument: 'country', kind: 'region' });
    expect(saved(rows)).toEqual({
      ...others,
      field_kinds: { issue_refund: { amount_eur: 'money', iban: 'identifier', country: 'region' } },
    });
  });

  it('changing an entry changes only its kind', () => {
    const rows = changeFieldKindRow(fieldKindRows(config), 1, { kind: 'text' });
    expect(saved(rows)).toEqual({ ...others, field_kinds: { issue_refund: { amount_eur: 'money', iban: 'text' } } });
  });

  it('removing entries drops them, and the key once none is left', () => {
    const one = removeFieldKindRow(fieldKindRows(config), 0);
    expect(saved(one)).toEqual({ ...others, field_kinds: { issue_refund: { iban: 'identifier' } } });
    const none = removeFieldKindRow(one, 0);
    expect(saved(none)).toEqual(others);
    expect(saved(none)).not.toHaveProperty('field_kinds');
  });

  it('refuses what the core would not read: bad names, unknown kinds, duplicates; skips blank rows', () => {
    const rows = fieldKindRows(config);
    expect(parseFieldKindRows(changeFieldKindRow(rows, 0, { argument: 'amount eur' }))).toEqual({
      ok: false,
      error: 'row 1: argument name "amount eur" is not a plain name',
    });
    const unknown = parseFieldKindRows(changeFieldKindRow(rows, 1, { kind: 'euros' }));
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.error).toContain('"euros" is not a kind');
    expect(parseFieldKindRows(changeFieldKindRow(rows, 1, { argument: 'amount_eur' }))).toEqual({
      ok: false,
      error: 'row 2: issue_refund.amount_eur is listed twice',
    });
    expect(parseFieldKindRows(addFieldKindRow(rows))).toEqual(parseFieldKindRows(rows));
  });

  it('knows when the rows say what is saved, whatever the order', () => {
    const rows = fieldKindRows(config);
    const p = parseFieldKindRows([...rows].reverse());
    expect(p.ok && sameFieldKinds(p.value, config)).toBe(true);
    const q = parseFieldKindRows(changeFieldKindRow(rows, 0, { kind: 'text' }));
    expect(q.ok && sameFieldKinds(q.value, config)).toBe(false);
  });
});

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

describe('field kinds editor', () => {
  it('shows a row per saved kind with its kind selected and hinted, and save disabled until a change', () => {
    const html = wrap(<FieldKindsEditor b={backend('langgraph', config)} />);
    expect(html.match(/data-testid="field-kinds-row"/g)?.length).toBe(2);
    expect(html).toMatch(/data-testid="field-kinds-row" data-action="issue_refund" data-argument="iban" data-kind="identifier"/);
    expect(html).toMatch(/<option value="identifier" title="identifier: printable ASCII, no spaces" selected="">identifier<\/option>/);
    expect(html).toContain('exact amount, plain decimal with a point');
    expect(html).toMatch(/<button[^>]*data-testid="field-kinds-save"[^>]*disabled=""/);
    expect(html).toContain('data-testid="field-kinds-add"');
  });

  it('flags an unknown saved kind instead of hiding it', () => {
    const html = wrap(<FieldKindsEditor b={backend('langgraph', { field_kinds: { pay: { memo: 'euros' } } })} />);
    expect(html).toContain('unknown: euros');
    expect(html).toContain('data-testid="field-kinds-error"');
  });

  it('appears next to the confirm-fields editor on LangGraph rows only', () => {
    const lg = wrap(<BackendRow b={backend('langgraph', config)} onRemoved={() => {}} />);
    expect(lg).toMatch(/data-testid="confirm-fields"[^]*data-testid="field-kinds"/);
    const phoenix = wrap(<BackendRow b={backend('phoenix', {})} onRemoved={() => {}} />);
    expect(phoenix).not.toContain('data-testid="field-kinds"');
  });
});
