import { NO_TAURI } from './errors';

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

/** True inside the Tauri WebView; false in a plain browser (vite dev without the app). */
export function hasTauri(): boolean {
  return typeof window !== 'undefined' && window.__TAURI_INTERNALS__ !== undefined;
}

/** Throws the `no_tauri` error outside the app. */
export function requireTauri(): void {
  if (!hasTauri()) throw { ...NO_TAURI };
}
