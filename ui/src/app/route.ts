// The current route, kept in `location.hash` (see lib/viewState). Back/forward work because
// every navigation is a history entry; typing in filters replaces instead of pushing.
import { useCallback, useEffect, useState } from 'react';
import { DEFAULT_ROUTE, hashToRoute, routeToHash, type Route } from '../lib/viewState';

function currentRoute(): Route {
  if (typeof window === 'undefined') return DEFAULT_ROUTE;
  return hashToRoute(window.location.hash);
}

export interface NavigateOptions {
  /** Replace the current history entry instead of adding one. */
  replace?: boolean;
  /** Opened from the list: "Back" can then use history.back(). */
  fromList?: boolean;
}

export type Navigate = (next: Route, opts?: NavigateOptions) => void;

/** Whether the current history entry was opened from the run list in this session. */
export function openedFromList(): boolean {
  if (typeof window === 'undefined') return false;
  const st = window.history.state as { fromList?: unknown } | null;
  return !!st && st.fromList === true;
}

export function useHashRoute(): [Route, Navigate] {
  const [route, setRoute] = useState<Route>(currentRoute);

  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onChange);
    window.addEventListener('popstate', onChange);
    return () => {
      window.removeEventListener('hashchange', onChange);
      window.removeEventListener('popstate', onChange);
    };
  }, []);

  const navigate = useCallback<Navigate>((next, opts) => {
    const hash = routeToHash(next);
    if (hash !== window.location.hash) {
      const state = opts?.fromList ? { fromList: true } : null;
      if (opts?.replace) window.history.replaceState(state, '', hash);
      else window.history.pushState(state, '', hash);
    }
    setRoute(hashToRoute(hash));
  }, []);

  return [route, navigate];
}
