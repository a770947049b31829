// The current route, kept in `location.hash` (see lib/viewState). Back/forward work because
// every navigation is a history entry; typing in filters replaces instead of pushing.
import { useCallback, useEffect, useState } from 'react';
import { DEFAULT_ROUTE, hashToRoute, routeToHash, type Route } from '../lib/viewState';

function currentRoute(): Route {
  if (typeof window === 'undefined') return DEFAULT_ROUTE;
  return hashToRoute(window.location.hash);
}

export type Navigate = (next: Route, opts?: { replace?: boolean }) => void;

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
      if (opts?.replace) window.history.replaceState(null, '', hash);
      else window.history.pushState(null, '', hash);
    }
    setRoute(hashToRoute(hash));
  }, []);

  return [route, navigate];
}
