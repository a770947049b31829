import type { ApiError } from './types';

/** Every rejection the client hands out has this shape. */
export function toApiError(e: unknown): ApiError {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown };
    if (typeof o.code === 'string') {
      return { code: o.code, message: typeof o.message === 'string' ? o.message : '' };
    }
    if (e instanceof Error) return { code: 'ui_error', message: e.message };
  }
  if (typeof e === 'string') return { code: 'error', message: e };
  return { code: 'unknown', message: String(e) };
}

export function isApiError(e: unknown): e is ApiError {
  return (
    !!e &&
    typeof e === 'object' &&
    typeof (e as ApiError).code === 'string' &&
    typeof (e as ApiError).message === 'string'
  );
}

export const NO_TAURI: ApiError = {
  code: 'no_tauri',
  message:
    'The Tauri runtime is not available: this page runs in a plain browser, so there is no backend to call. Start the desktop app (cargo tauri dev) to see data.',
};
