// The one typed client for the Rust backend. Components call these functions, never `invoke`.
// Every function rejects with an ApiError `{code, message}`.
import { call } from './call';
import { isOpenableUrl } from '../lib/url';
import type {
  ActionList,
  AppInfo,
  BackendEdit,
  BackendView,
  Facets,
  Json,
  NewBackend,
  Overview,
  QuarantineRecord,
  RunDetail,
  RunPage,
  RunQuery,
  SyncReport,
} from './types';

/** Command names as the Rust side registers them. */
export const COMMANDS = {
  appInfo: 'app_info',
  listBackends: 'list_backends',
  addBackend: 'add_backend',
  setBackendConfig: 'set_backend_config',
  editBackend: 'edit_backend',
  removeBackend: 'remove_backend',
  syncNow: 'sync_now',
  listRuns: 'list_runs',
  getRun: 'get_run',
  listActions: 'list_actions',
  listQuarantine: 'list_quarantine',
  openUrl: 'open_url',
  listFacets: 'list_facets',
  getOverview: 'get_overview',
  cancelSync: 'cancel_sync',
} as const;


export function appInfo(): Promise<AppInfo> {
  return call(COMMANDS.appInfo);
}

export function listBackends(): Promise<BackendView[]> {
  return call(COMMANDS.listBackends);
}

export function addBackend(input: NewBackend): Promise<BackendView> {
  return call(COMMANDS.addBackend, {
    name: input.name,
    url: input.url,
    token: input.token,
    kind: input.kind,
    config: input.config,
    allowHttp: input.allowHttp ?? false,
    replace: input.replace ?? false,
  });
}

/** Renames a backend or sets whether its token may go over plain http (recorded in the audit trail). */
export function editBackend(backendId: string, edit: BackendEdit): Promise<BackendView> {
  return call(COMMANDS.editBackend, { backendId, name: edit.name ?? null, allowHttp: edit.allowHttp ?? null });
}

/** Replaces a backend's per-kind settings (LangGraph confirm fields, Phoenix project). */
export function setBackendConfig(backendId: string, config: Json): Promise<BackendView> {
  return call(COMMANDS.setBackendConfig, { backendId, config });
}

export async function removeBackend(backendId: string): Promise<void> {
  await call<null>(COMMANDS.removeBackend, { backendId });
}

/** Syncs one backend, or all of them when `backendId` is null. */
export function syncNow(backendId: string | null): Promise<SyncReport[]> {
  return call(COMMANDS.syncNow, { backendId });
}

export function listRuns(query: RunQuery): Promise<RunPage> {
  return call(COMMANDS.listRuns, { query });
}

export function getRun(backendId: string, runId: string): Promise<RunDetail> {
  return call(COMMANDS.getRun, { backendId, runId });
}

/** Actions, optionally filtered by status (null = all): the most urgent first, at most a cap,
 * with how many there are in all. */
export function listActions(status: string | null): Promise<ActionList> {
  return call(COMMANDS.listActions, { status });
}

export function listQuarantine(backendId: string | null): Promise<QuarantineRecord[]> {
  return call(COMMANDS.listQuarantine, { backendId });
}

/** Opens an absolute http(s) URL in the system browser; anything else is refused here. */
export async function openUrl(url: string): Promise<void> {
  if (!isOpenableUrl(url)) {
    throw { code: 'unsafe_url', message: 'Only absolute http(s) URLs can be opened.' };
  }
  await call<null>(COMMANDS.openUrl, { url });
}

export function listFacets(): Promise<Facets> {
  return call(COMMANDS.listFacets);
}

/** Chart data over `[since, until)` (RFC 3339; the backend defaults to the last 30 days). */
export function getOverview(since: string | null, until: string | null, backendId: string | null): Promise<Overview> {
  return call(COMMANDS.getOverview, { since, until, backendId });
}

/** Cancels the sync in flight after its current page; pages already applied stay applied. */
export async function cancelSync(): Promise<void> {
  await call<null>(COMMANDS.cancelSync);
}
