import { lazy, Suspense, useRef, useState } from 'react';
import { RunsView } from '../features/runs/RunsView';
import { DEFAULT_ROUTE, EMPTY_FILTERS } from '../lib/viewState';
import { ErrorBanner, ErrorProvider } from './errors';
import { Nav } from './Nav';
import { useHashRoute } from './route';
import { StoreProvider } from './store';

// Runs is the landing view and loads with the app; every other view (and Chart.js with the
// charts) is its own chunk, fetched the first time it is opened.
const ApprovalsView = lazy(() => import('../features/approvals/ApprovalsView').then((m) => ({ default: m.ApprovalsView })));
const AuditView = lazy(() => import('../features/audit/AuditView').then((m) => ({ default: m.AuditView })));
const BackendsView = lazy(() => import('../features/backends/BackendsView').then((m) => ({ default: m.BackendsView })));
const BudgetsView = lazy(() => import('../features/budgets/BudgetsView').then((m) => ({ default: m.BudgetsView })));
const FailuresView = lazy(() => import('../features/failures/FailuresView').then((m) => ({ default: m.FailuresView })));
const ImportPanel = lazy(() => import('../features/imports/ImportPanel').then((m) => ({ default: m.ImportPanel })));
const SettingsView = lazy(() => import('../features/settings/SettingsView').then((m) => ({ default: m.SettingsView })));
const OverviewView = lazy(() => import('../features/overview/OverviewView').then((m) => ({ default: m.OverviewView })));
const TrustView = lazy(() => import('../features/trust/TrustView').then((m) => ({ default: m.TrustView })));
const GoldenView = lazy(() => import('../features/golden/GoldenView').then((m) => ({ default: m.GoldenView })));

const LOADING = <p className="muted">Loading…</p>;

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
        <Suspense fallback={LOADING}>
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
        </Suspense>
      </main>
      {importing ? (
        <Suspense fallback={null}>
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
        </Suspense>
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
