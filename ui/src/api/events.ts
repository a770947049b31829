// Event names the Rust side emits, and typed subscriptions. Components use these, never `listen`.
import { listen } from '@tauri-apps/api/event';
import { toApiError } from './errors';
import { requireTauri } from './runtime';
import type { StoreChangedPayload, SyncStatusPayload } from './types';

import { EVENTS } from './generated/constants';

export { EVENTS };

export type Unsubscribe = () => void;

async function subscribe<T>(name: string, handler: (payload: T) => void): Promise<Unsubscribe> {
  try {
    requireTauri();
    return await listen<T>(name, (event) => handler(event.payload));
  } catch (e) {
    throw toApiError(e);
  }
}

export function onStoreChanged(handler: (p: StoreChangedPayload) => void): Promise<Unsubscribe> {
  return subscribe(EVENTS.storeChanged, handler);
}

export function onSyncStatus(handler: (p: SyncStatusPayload) => void): Promise<Unsubscribe> {
  return subscribe(EVENTS.syncStatus, handler);
}
