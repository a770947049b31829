import { afterEach, describe, expect, it, vi } from 'vitest';
import { getIdentityKeys, getPriceTable, getReceiver, importTraces, setIdentityKeys, setPriceTable, setReceiver } from './traces';

type Win = { __TAURI_INTERNALS__?: { invoke: (...a: unknown[]) => Promise<unknown> } };
const g = globalThis as unknown as { window?: Win };

afterEach(() => {
  delete g.window;
});

function fakeTauri(answer: (cmd: string, args: unknown) => unknown) {
  const invoke = vi.fn(async (cmd: unknown, args: unknown) => answer(cmd as string, args));
  g.window = { __TAURI_INTERNALS__: { invoke } };
  return invoke;
}

describe('trace commands', () => {
  it('send the Rust argument names', async () => {
    const invoke = fakeTauri(() => null);
    await importTraces('support.json', '{"resourceSpans": []}');
    expect(invoke).toHaveBeenLastCalledWith('import_traces', { fileName: 'support.json', text: '{"resourceSpans": []}' }, undefined);
    await getPriceTable();
    expect(invoke).toHaveBeenLastCalledWith('get_price_table', {}, undefined);
    const row = { model: 'm', effective_from: '2025-01-01', input_usd_per_mtok: '0.10', output_usd_per_mtok: '0.000001' };
    await setPriceTable([row]);
    expect(invoke).toHaveBeenLastCalledWith('set_price_table', { prices: [row] }, undefined);
    await getReceiver();
    expect(invoke).toHaveBeenLastCalledWith('get_receiver', {}, undefined);
    await setReceiver(true, 0);
    expect(invoke).toHaveBeenLastCalledWith('set_receiver', { enabled: true, port: 0, token: null }, undefined);
    await setReceiver(true, 0, 's3cret');
    expect(invoke).toHaveBeenLastCalledWith('set_receiver', { enabled: true, port: 0, token: 's3cret' }, undefined);
    await getIdentityKeys();
    expect(invoke).toHaveBeenLastCalledWith('get_identity_keys', {}, undefined);
    const keys = { user_keys: ['customer'], tenant_keys: ['org'], session_keys: ['session_id'] };
    await setIdentityKeys(keys);
    expect(invoke).toHaveBeenLastCalledWith('set_identity_keys', { keys }, undefined);
  });

  it('reject outside the app and pass errors through', async () => {
    await expect(importTraces('a.json', '{}')).rejects.toMatchObject({ code: 'no_tauri' });
    fakeTauri(() => {
      throw { code: 'invalid_input', message: 'price table: m: negative price' };
    });
    await expect(setPriceTable([])).rejects.toEqual({ code: 'invalid_input', message: 'price table: m: negative price' });
  });
});
