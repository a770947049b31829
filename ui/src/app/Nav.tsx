import { useStore } from './store';
import { useAppInfo } from './useAppInfo';
import { SafeText } from '../components/SafeText';

import type { ViewId } from '../lib/viewState';

export type { ViewId };

const ITEMS: { id: ViewId; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'runs', label: 'Runs' },
  { id: 'approvals', label: 'Approvals' },
  { id: 'trust', label: 'Trust' },
  { id: 'golden', label: 'Golden sets' },
  { id: 'failures', label: 'Failure review' },
  { id: 'budgets', label: 'Budgets' },
  { id: 'backends', label: 'Backends' },
  { id: 'audit', label: 'Audit' },
  { id: 'settings', label: 'Settings' },
];

export function Nav({ view, onView, onImport }: { view: ViewId; onView: (v: ViewId) => void; onImport: () => void }) {
  const { backends, syncing } = useStore();
  // Errors here are already visible through the other commands; the footer just stays empty.
  const info = useAppInfo();
  const pending = (backends ?? []).reduce((n, b) => n + b.counts.actions_pending, 0);
  const unhealthy = (backends ?? []).filter((b) => b.health.state === 'down' || b.health.state === 'degraded').length;
  return (
    <nav className="nav" aria-label="Main">
      <div className="brand">
        Countersign
        {syncing ? <span className="spinner" aria-label="syncing" /> : null}
      </div>
      <div className="nav-file" role="group" aria-label="File">
        <button type="button" className="nav-import" data-testid="file-import" title="File → Import traces (OTLP/JSON)" onClick={onImport}>
          Import traces…
        </button>
      </div>
      <ul>
        {ITEMS.map((it) => (
          <li key={it.id}>
            <button
              type="button"
              data-testid={`nav-${it.id}`}
              className={view === it.id ? 'active' : ''}
              aria-current={view === it.id ? 'page' : undefined}
              onClick={() => onView(it.id)}
            >
              {it.label}
              {it.id === 'approvals' && pending > 0 ? <span className="count">{pending}</span> : null}
              {it.id === 'backends' && unhealthy > 0 ? <span className="count warn">{unhealthy}</span> : null}
            </button>
          </li>
        ))}
      </ul>
      <div className="nav-foot muted">
        {info ? (
          <>
            <div>v<SafeText text={info.version} /></div>
            <div title={info.store_path}>secrets: <SafeText text={info.secret_store} /></div>
          </>
        ) : null}
      </div>
    </nav>
  );
}
