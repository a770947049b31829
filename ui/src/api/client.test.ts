import { afterEach, describe, expect, it, vi } from 'vitest';
import { getRun, listActions, listRuns, openUrl, removeBackend, syncNow } from './client';
import { toApiError } from './errors';

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

describe('client outside Tauri', () => {
  it('rejects with no_tauri and no fake data', async () => {
    await expect(listRuns({})).rejects.toMatchObject({ code: 'no_tauri' });
    await expect(syncNow(null)).rejects.toMatchObject({ code: 'no_tauri' });
  });
});

describe('client inside Tauri', () => {
  it('sends camelCase top-level args and snake_case objects', async () => {
    const invoke = fakeTauri(() => ({ items: [], total: 0 }));
    await listRuns({ backend_id: 'b1', sort: 'cost_desc', limit: 10 });
    expect(invoke).toHaveBeenLastCalledWith('list_runs', { query: { backend_id: 'b1', sort: 'cost_desc', limit: 10 } }, undefined);
    await getRun('b1', 'r1');
    expect(invoke).toHaveBeenLastCalledWith('get_run', { backendId: 'b1', runId: 'r1' }, undefined);
    await removeBackend('b1');
    expect(invoke).toHaveBeenLastCalledWith('remove_backend', { backendId: 'b1' }, undefined);
    await listActions(null);
    expect(invoke).toHaveBeenLastCalledWith('list_actions', { status: null }, undefined);
  });

  it('passes command errors through as {code, message}', async () => {
    fakeTauri(() => {
      throw { code: 'not_found', message: 'no such run' };
    });
    await expect(getRun('b', 'r')).rejects.toEqual({ code: 'not_found', message: 'no such run' });
  });

  it('refuses to ask the backend to open a non-http URL', async () => {
    const invoke = fakeTauri(() => null);
    await expect(openUrl('javascript:alert(1)')).rejects.toMatchObject({ code: 'unsafe_url' });
    expect(invoke).not.toHaveBeenCalled();
    await openUrl('https://kb.example/x');
    expect(invoke).toHaveBeenLastCalledWith('open_url', { url: 'https://kb.example/x' }, undefined);
  });
});

describe('toApiError', () => {
  it('normalises anything thrown', () => {
    expect(toApiError({ code: 'x', message: 'y' })).toEqual({ code: 'x', message: 'y' });
    expect(toApiError('boom')).toEqual({ code: 'error', message: 'boom' });
    expect(toApiError(new Error('bad'))).toEqual({ code: 'ui_error', message: 'bad' });
    expect(toApiError(undefined)).toEqual({ code: 'unknown', message: 'undefined' });
  });
});

describe('new commands', () => {
  it('get_overview and cancel_sync send the Rust argument names', async () => {
    const { getOverview, cancelSync } = await import('./client');
    const invoke = fakeTauri(() => null);
    await getOverview('2026-11-01T00:00:00.000Z', null, 'b1');
    expect(invoke).toHaveBeenLastCalledWith(
      'get_overview',
      { since: '2026-11-01T00:00:00.000Z', until: null, backendId: 'b1' },
      undefined,
    );
    await cancelSync();
    expect(invoke).toHaveBeenLastCalledWith('cancel_sync', {}, undefined);
  });
});
