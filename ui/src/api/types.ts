// Wire types: generated from the Rust types into ./generated (scripts/gen-types.sh; the test
// suite fails when they are stale). This file only adds names the UI uses on top of them.
import type { JsonValue } from './generated/serde_json/JsonValue';

export type * from './generated';
export { OUTCOMES, ACTION_STATUSES, RUN_COUNT_CAP, AUDIT_KINDS, FAILURE_BUCKETS } from './generated/constants';

/** JSON value as serde_json::Value carries it. */
export type Json = JsonValue;

/** What `add_backend` takes (the command's arguments, not a Rust struct). */
export interface NewBackend {
  name: string;
  url: string;
  /** Token / API key; for Langfuse `PUBLIC_KEY:SECRET_KEY`. */
  token: string;
  kind: import('./generated').BackendKind;
  config: Json;
  /** Let the token go over plain http to a host that is not this machine (audited). */
  allowHttp?: boolean;
  /** Replace the settings and token of a URL already connected (audited). */
  replace?: boolean;
}

/** What `edit_backend` changes; fields left out stay as they are. */
export interface BackendEdit {
  name?: string;
  /** Let the token go over plain http to a host that is not this machine (audited). */
  allowHttp?: boolean;
}

export type * from './decisionTypes';
