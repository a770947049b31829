import type { ReactNode } from 'react';
import { Freshness } from './Freshness';
import { SyncProgress } from './SyncProgress';

export function ViewHeader({
  title,
  loadedAt,
  actions,
}: {
  title: string;
  loadedAt: Date | null;
  actions?: ReactNode;
}) {
  return (
    <header className="view-header">
      <div className="view-title">
        <h1>{title}</h1>
        <Freshness loadedAt={loadedAt} />
      </div>
      <div className="view-actions">
        <SyncProgress />
        {actions}
      </div>
    </header>
  );
}
