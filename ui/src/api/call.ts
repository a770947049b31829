// The one place that invokes a Rust command: checks the Tauri bridge is there and turns every
// failure into an ApiError `{code, message}`. Client modules build on it.
import { invoke } from '@tauri-apps/api/core';
import { toApiError } from './errors';
import { requireTauri } from './runtime';

/** Invokes command `cmd` with `args`; rejects with an ApiError. */
export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    requireTauri();
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toApiError(e);
  }
}
