// The one place that invokes a Rust command: checks the Tauri bridge is there and turns every
// failure into an ApiError `{code, message}`. Client modules build on it.
import { invoke } from '@tauri-apps/api/core';
import { toApiError } from './errors';
import { requireTauri } from './runtime';

/** Commands answered at least once in this page (for the start-up marks). */
const answered = new Set<string>();

/**
 * Marks the first answer of each command on the page's performance timeline
 * (`countersign:first:<cmd>`; one mark a command, so the timeline stays bounded): the start-up
 * bench reads them to tell where the time to the first rows goes.
 */
function markFirst(cmd: string) {
  if (answered.has(cmd)) return;
  answered.add(cmd);
  performance.mark?.(`countersign:first:${cmd}`);
}

/** Invokes command `cmd` with `args`; rejects with an ApiError. */
export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    requireTauri();
    const v = await invoke<T>(cmd, args);
    markFirst(cmd);
    return v;
  } catch (e) {
    throw toApiError(e);
  }
}
