import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { prefetchFirstPage } from './features/runs/useRunPages';
import { filtersToQuery, hashToRoute } from './lib/viewState';
import './styles.css';

/**
 * How long the first render waits for the landing list's first page (it answers in tens of
 * milliseconds): rows in the first paint instead of a paint of the frame, then one of the rows.
 */
const FIRST_PAGE_WAIT_MS = 250;

/** Asks for the run list's first page when the app opens on it; resolves once it answered or the wait is over. */
function landingData(): Promise<unknown> {
  const route = hashToRoute(window.location.hash);
  if (route.view !== 'runs' || route.run) return Promise.resolve();
  const wait = new Promise((r) => setTimeout(r, FIRST_PAGE_WAIT_MS));
  return Promise.race([prefetchFirstPage(filtersToQuery(route.filters)), wait]);
}

const root = document.getElementById('root');
if (root) {
  void landingData().then(() =>
    createRoot(root).render(
      <StrictMode>
        <App />
      </StrictMode>,
    ),
  );
}
