import { useRef, useState } from 'react';
import { ApprovalsView } from '../features/approvals/ApprovalsView';
import { AuditView } from '../features/audit/AuditView';
import { BackendsView } from '../features/backends/BackendsView';
import { BudgetsView } from '../features/budgets/BudgetsView';
import { FailuresView } from '../features/failures/FailuresView';
import { ImportPanel } from '../features/imports/ImportPanel';
import { SettingsView } from '../features/settings/SettingsView';
import { OverviewView } from '../features/overview/OverviewView';
import { RunsView } from '../features/runs/RunsView';
import { TrustView } from '../features/trust/TrustView';
import { GoldenView } from '../features/golden/GoldenView';
import { DEFAULT_ROUTE, EMPTY_FILTERS } from '../lib/viewState';
import { ErrorBanner, ErrorProvider } from './errors';
import { Nav } from './Nav';
import { useHashRoute } from './route';
import { StoreProvider } from './store';

function Shell() {
  const [route, navigate] = useHashRoute();
  const view = route.view;
  // Filters survive a trip to another view and back through the nav.
  const lastRuns = useRef(route.view === 'runs' ? route.filters : DEFAULT_ROUTE.filters);
  if (route.view === 'runs') lastRuns.current = route.filters;
  const lastOverview = useRef({ days: route.days, overviewBackend: route.overviewBackend });
  if (route.view === 'overview') lastOverview.current = { days: route.days, overviewBackend: route.overviewBackend };

  const openRun = (backendId: string, runId: string) => {
    navigate({ ...route, view: 'runs', run: { backendId, runId } });
  };
  const [importing, setImporting] = useState(false);

  return (
    <div className="app">
      <Nav
        view={view}
        onImport={() => setImporting(true)}
        onView={(v) => {
          if (v === 'runs' && view === 'runs') {
            navigate({ ...route, run: null });
          } else {
            navigate({
              ...route,
              ...(v === 'overview' ? lastOverview.current : {}),
              view: v,
              run: null,
              filters: v === 'runs' ? lastRuns.current : route.filters,
            });
          }
        }}
      />
      <main className="main">
        <ErrorBanner />
        {view === 'runs' ? <RunsView route={route} navigate={navigate} /> : null}
        {view === 'overview' ? (
          <OverviewView
            days={route.days}
            backendId={route.overviewBackend}
            onChange={(days, overviewBackend) => navigate({ ...route, days, overviewBackend }, { replace: true })}
            onOpenRuns={(filters) => navigate({ ...DEFAULT_ROUTE, view: 'runs', filters: { ...EMPTY_FILTERS, ...filters } })}
          />
        ) : null}
        {view === 'approvals' ? <ApprovalsView onOpenRun={openRun} /> : null}
        {view === 'trust' ? (
          <TrustView
            onOpenRun={openRun}
            onOpenRuns={(filters) => navigate({ ...DEFAULT_ROUTE, view: 'runs', filters: { ...EMPTY_FILTERS, ...filters } })}
            onView={(v) => navigate({ ...route, view: v, run: null })}
          />
        ) : null}
        {view === 'golden' ? <GoldenView onOpenRun={openRun} /> : null}
        {view === 'failures' ? <FailuresView onOpenRun={openRun} /> : null}
        {view === 'budgets' ? <BudgetsView /> : null}
        {view === 'backends' ? <BackendsView /> : null}
        {view === 'audit' ? <AuditView /> : null}
        {view === 'settings' ? <SettingsView /> : null}
      </main>
      {importing ? (
        <ImportPanel
          onClose={() => setImporting(false)}
          onOpenRuns={(backend) => {
            setImporting(false);
            navigate({ ...DEFAULT_ROUTE, view: 'runs', filters: { ...EMPTY_FILTERS, backend } });
          }}
          onOpenRun={(backendId, runId) => {
            setImporting(false);
            navigate({ ...DEFAULT_ROUTE, view: 'runs', filters: { ...EMPTY_FILTERS, backend: backendId }, run: { backendId, runId } });
          }}
        />
      ) : null}
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
