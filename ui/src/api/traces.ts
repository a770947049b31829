// Client for OpenTelemetry traces: import an OTLP/JSON file, the model price table, the
// loopback OTLP/HTTP receiver, and the identity keys imports and the receiver read runs
// with. Every function rejects with an ApiError `{code, message}`.
import { call } from './call';
import type { IdentityKeys, IdentityKeysView, ImportCounts, PriceRow, PriceTableView, ReceiverView } from './types';

/** Command names as the Rust side registers them. */
export const TRACE_COMMANDS = {
  importTraces: 'import_traces',
  getPriceTable: 'get_price_table',
  setPriceTable: 'set_price_table',
  getReceiver: 'get_receiver',
  setReceiver: 'set_receiver',
  getIdentityKeys: 'get_identity_keys',
  setIdentityKeys: 'set_identity_keys',
} as const;

/** Largest file the app accepts (the Rust side checks again). */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/** Imports an OTLP/JSON file's text as runs of the pseudo-backend named after `fileName`. */
export function importTraces(fileName: string, text: string): Promise<ImportCounts> {
  return call(TRACE_COMMANDS.importTraces, { fileName, text });
}

export function getPriceTable(): Promise<PriceTableView> {
  return call(TRACE_COMMANDS.getPriceTable);
}

/** Replaces the whole table; rejects with `invalid_input` naming the bad row. */
export function setPriceTable(prices: PriceRow[]): Promise<PriceTableView> {
  return call(TRACE_COMMANDS.setPriceTable, { prices });
}

export function getReceiver(): Promise<ReceiverView> {
  return call(TRACE_COMMANDS.getReceiver);
}

/**
 * Enables (on 127.0.0.1:`port`, 0 = any free port) or disables the receiver. `token`: a new bearer
 * token exporters must send, `''` to require none, null to keep the current one.
 */
export function setReceiver(enabled: boolean, port: number, token: string | null = null): Promise<ReceiverView> {
  return call(TRACE_COMMANDS.setReceiver, { enabled, port, token });
}

/** The metadata keys that name a run's user, tenant and session in imported and received traces. */
export function getIdentityKeys(): Promise<IdentityKeysView> {
  return call(TRACE_COMMANDS.getIdentityKeys);
}

/** Replaces them (audited); rejects with `invalid_input` naming the key it refuses. */
export function setIdentityKeys(keys: IdentityKeys): Promise<IdentityKeysView> {
  return call(TRACE_COMMANDS.setIdentityKeys, { keys });
}
