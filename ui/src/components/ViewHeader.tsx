import type { ReactNode } from 'react';
import { Freshness } from './Freshness';

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
      {actions ? <div className="view-actions">{actions}</div> : null}
    </header>
  );
}
