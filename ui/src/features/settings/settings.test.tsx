// Settings view pieces, rendered server-side: test ids the end-to-end suite uses, and state.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { IdentityKeysView, PriceTableView, ReceiverView } from '../../api/types';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { IdentityKeysPanel } from './IdentityKeysPanel';
import { PriceTableEditor } from './PriceTableEditor';
import { ReceiverPanel } from './ReceiverPanel';

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

const table = (custom: boolean): PriceTableView => ({
  custom,
  prices: [
    { model: 'gpt-4o', effective_from: '2024-08-06', input_usd_per_mtok: '2.500000', output_usd_per_mtok: '10.000000' },
    { model: 'gpt-4o-mini', effective_from: '2024-07-18', input_usd_per_mtok: '0.150000', output_usd_per_mtok: '0.000001' },
  ],
});

const receiver = (over: Partial<ReceiverView>): ReceiverView => ({
  enabled: false,
  port: 4318,
  address: null,
  endpoint: null,
  error: null,
  stats: null,
  token_set: false,
  ...over,
});

describe('price table editor', () => {
  it('shows every row with exact prices, the rule, and the example note', () => {
    const html = wrap(<PriceTableEditor table={table(false)} onSaved={() => {}} />);
    expect(html.match(/data-testid="price-row"/g)).toHaveLength(2);
    expect(html).toContain('value="2.50"');
    expect(html).toContain('value="0.000001"');
    expect(html).toContain('value="2024-07-18"');
    expect(html).toContain('Costs not reported by a trace are computed from this table');
    expect(html).toContain('data-testid="price-example-note"');
    for (const id of ['price-add', 'price-save', 'price-remove', 'price-model', 'price-from', 'price-input', 'price-output']) {
      expect(html).toContain(`data-testid="${id}"`);
    }
    // Nothing changed yet: save is disabled, no errors.
    expect(html).toMatch(/data-testid="price-save" disabled=""/);
    expect(html).not.toContain('data-testid="price-error"');
  });

  it('a table the user saved has no example note', () => {
    const html = wrap(<PriceTableEditor table={table(true)} onSaved={() => {}} />);
    expect(html).toContain('data-custom="true"');
    expect(html).not.toContain('price-example-note');
  });
});

describe('receiver panel', () => {
  it('running: the endpoint to paste into an exporter, and counters', () => {
    const html = wrap(
      <ReceiverPanel
        view={receiver({
          enabled: true,
          port: 0,
          address: '127.0.0.1:43125',
          endpoint: 'http://127.0.0.1:43125/v1/traces',
          stats: { requests: 2, refused: 1, spans: 12, runs_changed: 2, rejected_traces: 0 },
        })}
        onChanged={() => {}}
      />,
    );
    expect(html).toContain('data-state="running"');
    expect(html).toContain('http://127.0.0.1:43125/v1/traces');
    expect(html).toContain('127.0.0.1 only');
    expect(html).toMatch(/2 exports accepted \(12 spans\)/);
    expect(html).toMatch(/data-testid="receiver-enabled" checked=""/);
  });

  it('enabled but not bound: says why', () => {
    const html = wrap(<ReceiverPanel view={receiver({ enabled: true, error: 'cannot listen on 127.0.0.1:4318: Address in use' })} onChanged={() => {}} />);
    expect(html).toContain('data-state="failed"');
    expect(html).toContain('data-testid="receiver-error"');
    expect(html).toContain('Address in use');
    expect(html).not.toContain('receiver-endpoint');
  });

  it('off: default port, nothing listening', () => {
    const html = wrap(<ReceiverPanel view={receiver({})} onChanged={() => {}} />);
    expect(html).toContain('data-state="off"');
    expect(html).toContain('value="4318"');
    expect(html).toContain('data-testid="receiver-off"');
  });

  it('says whether exporters need the token, never showing it', () => {
    const running = { enabled: true, address: '127.0.0.1:4318', endpoint: 'http://127.0.0.1:4318/v1/traces' };
    const open = wrap(<ReceiverPanel view={receiver(running)} onChanged={() => {}} />);
    expect(open).toContain('no token is required');
    expect(open).not.toContain('receiver-token-header');
    const locked = wrap(<ReceiverPanel view={receiver({ ...running, token_set: true })} onChanged={() => {}} />);
    expect(locked).toContain('data-testid="receiver-token-header"');
    expect(locked).toContain('placeholder="set — type to replace"');
    expect(locked).toContain('data-testid="receiver-token-clear"');
  });
});

describe('identity keys of imports and the receiver', () => {
  const view = (custom: boolean): IdentityKeysView => ({
    custom,
    keys: { user_keys: custom ? ['customer'] : ['user_id'], tenant_keys: ['tenant_id', 'tenant'], session_keys: ['session_id'] },
  });

  it('shows the keys in force, one line a list, and says when they are the defaults', () => {
    const html = wrap(<IdentityKeysPanel view={view(false)} onSaved={() => {}} />);
    expect(html).toMatch(/data-testid="identity-user_keys"[^>]*value="user_id"/);
    expect(html).toMatch(/data-testid="identity-tenant_keys"[^>]*value="tenant_id, tenant"/);
    expect(html).toContain('data-testid="identity-session_keys"');
    expect(html).toContain('data-testid="identity-defaults-note"');
    expect(html).toContain('never taken for a tenant');
    expect(html).toMatch(/data-testid="identity-save" disabled=""/);
    const mine = wrap(<IdentityKeysPanel view={view(true)} onSaved={() => {}} />);
    expect(mine).toContain('data-custom="true"');
    expect(mine).toMatch(/data-testid="identity-user_keys"[^>]*value="customer"/);
    expect(mine).not.toContain('identity-defaults-note');
  });
});
