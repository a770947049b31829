// The freshness line of a view header: synced backends say how fresh their data is; an imported
// file says once when it was imported.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { BackendView } from '../api';
import { FreshnessLine, arrival } from './Freshness';

const NOW = new Date('2026-11-27T15:00:00Z');

function backend(over: Partial<BackendView>): BackendView {
  return {
    backend_id: 'b1',
    name: 'Prod',
    url: 'https://x.example',
    kind: 'countersign',
    added_at: '2026-11-20T10:00:00Z',
    embedded: false,
    health: { state: 'never_synced', last_success_at: null, last_attempt_at: null, last_error: null, consecutive_failures: 0 },
    whoami: null,
    counts: { runs: 0, actions_pending: 0, quarantined: 0 },
    config: {},
    allow_http: false,
    ...over,
  };
}

const text = (shown: BackendView[]) =>
  renderToStaticMarkup(<FreshnessLine shown={shown} syncing={false} syncStatus={{}} loadedAt={null} now={NOW} />).replace(/<[^>]+>/g, '');

const imported = backend({
  backend_id: 'imp',
  name: 'OTel import: hx.json',
  url: 'http://import.localhost/hx',
  kind: 'otel',
  health: { state: 'healthy', last_success_at: '2026-11-24T09:30:00Z', last_attempt_at: '2026-11-24T09:30:00Z', last_error: null, consecutive_failures: 0 },
});

describe('Freshness', () => {
  it('a run from an imported file says when it was imported, once', () => {
    const t = text([imported]);
    expect(t).toMatch(/^OTel import: hx\.json: imported Nov 24/);
    expect(t).not.toContain('never synced');
    expect(t).not.toContain('Data as of');
    expect(t.match(/imported/g)).toHaveLength(1);
  });

  it('an import from before import times were kept says so instead of "never synced"', () => {
    const t = text([backend({ ...imported, health: { ...imported.health, state: 'never_synced', last_success_at: null } })]);
    expect(t).toBe('OTel import: hx.json: imported (time not recorded)');
  });

  it('a synced backend keeps its sync time, lag and health; never synced is said once', () => {
    const synced = backend({
      health: { state: 'healthy', last_success_at: '2026-11-27T14:58:00Z', last_attempt_at: null, last_error: null, consecutive_failures: 0 },
    });
    const t = text([synced, imported]);
    expect(t).toMatch(/^Data as of \d\d:\d\d · Prod: data as of \d\d:\d\d, lag 2 min healthy · OTel import: hx\.json: imported Nov 24/);
    expect(text([backend({})]).match(/never synced/g)).toHaveLength(2); // "Data as of never synced · Prod: never synced"
    expect(text([backend({})])).not.toMatch(/never synced never synced/);
  });

  it('tells imports, the receiver and synced backends apart by URL', () => {
    expect(arrival({ url: 'http://import.localhost/hx' })).toBe('import');
    expect(arrival({ url: 'http://import.localhost/otlp-receiver' })).toBe('receiver');
    expect(arrival({ url: 'http://127.0.0.1:8787' })).toBe('sync');
  });
});
