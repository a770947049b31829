import { useState } from 'react';
import { ApprovalsView } from '../features/approvals/ApprovalsView';
import { AuditView } from '../features/audit/AuditView';
import { BackendsView } from '../features/backends/BackendsView';
import { BudgetsView } from '../features/budgets/BudgetsView';
import { RunsView, type RunRef } from '../features/runs/RunsView';
import { ErrorBanner, ErrorProvider } from './errors';
import { Nav, type ViewId } from './Nav';
import { StoreProvider } from './store';

function Shell() {
  const [view, setView] = useState<ViewId>('runs');
  const [selectedRun, setSelectedRun] = useState<RunRef | null>(null);

  const openRun = (backendId: string, runId: string) => {
    setSelectedRun({ backendId, runId });
    setView('runs');
  };

  return (
    <div className="app">
      <Nav
        view={view}
        onView={(v) => {
          if (v === 'runs' && view === 'runs') setSelectedRun(null);
          setView(v);
        }}
      />
      <main className="main">
        <ErrorBanner />
        {view === 'runs' ? <RunsView selected={selectedRun} onSelect={setSelectedRun} /> : null}
        {view === 'approvals' ? <ApprovalsView onOpenRun={openRun} /> : null}
        {view === 'budgets' ? <BudgetsView /> : null}
        {view === 'backends' ? <BackendsView /> : null}
        {view === 'audit' ? <AuditView /> : null}
      </main>
    </div>
  );
}

export function App() {
  return (
    <ErrorProvider>
      <StoreProvider>
        <Shell />
      </StoreProvider>
    </ErrorProvider>
  );
}
