// What the Backends view knows about each backend kind: labels, hints, how the add form's
// inputs become `add_backend` arguments, and the LangGraph confirm-fields setting as text.
import type { BackendKind, Json, NewBackend } from '../../api';

export interface KindInfo {
  label: string;
  urlHint: string;
  tokenLabel: string;
  help: string;
}

export const KIND_INFO: Record<BackendKind, KindInfo> = {
  countersign: {
    label: 'Countersign protocol',
    urlHint: 'https://agents.example.com',
    tokenLabel: 'Token',
    help: 'A backend speaking the Countersign protocol (/v1): runs, pending actions, budgets and sources. The token is checked with /v1/whoami.',
  },
  langgraph: {
    label: 'LangGraph Server',
    urlHint: 'http://127.0.0.1:8123',
    tokenLabel: 'API key (optional)',
    help: 'Interrupted threads become pending actions (Agent Inbox requests, LangChain human-in-the-loop tool calls, or a graph\'s own interrupt payload); a decision resumes the thread. Every argument must be confirmed until you name the ones that matter per action below, once added.',
  },
  phoenix: {
    label: 'Arize Phoenix',
    urlHint: 'http://127.0.0.1:6006',
    tokenLabel: 'API key (optional)',
    help: "A Phoenix project's spans become runs with tool calls, tokens, costs and citations. Costs not reported are priced with the table in Settings.",
  },
  langfuse: {
    label: 'Langfuse',
    urlHint: 'https://cloud.langfuse.com',
    tokenLabel: 'Public key',
    help: "A Langfuse project's observations (/api/public/v2/observations) become runs. Public and secret key are kept together in the OS secret store.",
  },
  mlflow: {
    label: 'MLflow tracing',
    urlHint: 'http://127.0.0.1:5000',
    tokenLabel: 'Token or user (optional)',
    help: "An MLflow 3 tracking server's finished traces (REST API v3) become runs with tool calls, tokens, costs and citations. Name an experiment or leave it blank for every experiment. Auth: a bearer token, or a user with a password for MLflow's basic auth.",
  },
};

/** Form inputs as the add form holds them. */
export interface AddInputs {
  kind: BackendKind;
  name: string;
  url: string;
  token: string;
  /** Langfuse secret key; MLflow basic-auth password. */
  secret: string;
  /** Phoenix project. */
  project: string;
  /** MLflow experiment (name or id); blank: every experiment. */
  experiment: string;
}

/** The `add_backend` arguments for the form's inputs. */
export function newBackendInput(i: AddInputs): NewBackend {
  const config: { [key: string]: Json } = {};
  if (i.kind === 'phoenix' && i.project.trim() !== '') config.project = i.project.trim();
  if (i.kind === 'mlflow' && i.experiment.trim() !== '') config.experiment = i.experiment.trim();
  let token = i.token;
  if (i.kind === 'langfuse' && (i.token.trim() !== '' || i.secret.trim() !== '')) token = `${i.token.trim()}:${i.secret.trim()}`;
  // MLflow basic auth travels as USER:PASSWORD; a token alone is sent as a bearer token.
  if (i.kind === 'mlflow' && i.secret !== '') token = `${i.token.trim()}:${i.secret}`;
  return { kind: i.kind, name: i.name.trim(), url: i.url.trim(), token, config };
}

/**
 * The MLflow experiment a backend syncs, as the Rust side reads it: `config.experiment`, else
 * a `#experiment=NAME` fragment of its URL, else every experiment.
 */
export function mlflowExperiment(config: Json, url: string): string {
  const configured = config && typeof config === 'object' && !Array.isArray(config) ? config.experiment : null;
  if (typeof configured === 'string' && configured.trim() !== '' && configured.trim() !== '*') return configured.trim();
  const fragment = url.split('#')[1] ?? '';
  const named = fragment
    .split('&')
    .find((kv) => kv.startsWith('experiment='))
    ?.slice('experiment='.length)
    .trim();
  return named ? named : 'all experiments';
}

/** Known kind, or null for kinds without a connector (imports, the OTLP receiver). */
export function kindLabel(kind: string): string {
  return kind in KIND_INFO ? KIND_INFO[kind as BackendKind].label : kind === 'otel' ? 'trace import' : kind;
}

/** `confirm_fields` as editable text, one action a line: `issue_refund: amount, region`. */
export function confirmFieldsText(config: Json): string {
  const cf = config && typeof config === 'object' && !Array.isArray(config) ? config.confirm_fields : null;
  if (!cf || typeof cf !== 'object' || Array.isArray(cf)) return '';
  return Object.entries(cf)
    .map(([action, fields]) => `${action}: ${Array.isArray(fields) ? fields.filter((f) => typeof f === 'string').join(', ') : ''}`)
    .join('\n');
}

/** An action or argument name as the backend config may hold it. */
export const NAME = /^[A-Za-z0-9_.-]+$/;

/** Reads the confirm-fields text back; errors name the line. Blank lines are skipped. */
export function parseConfirmFields(text: string): { ok: true; value: { [action: string]: string[] } } | { ok: false; error: string } {
  const value: { [action: string]: string[] } = {};
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] ?? '').trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) return { ok: false, error: `line ${n + 1}: write "action: field, field"` };
    const action = line.slice(0, colon).trim();
    const fields = line
      .slice(colon + 1)
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    if (!NAME.test(action)) return { ok: false, error: `line ${n + 1}: action name ${JSON.stringify(action)} is not a plain name` };
    const bad = fields.find((f) => !NAME.test(f));
    if (bad !== undefined) return { ok: false, error: `line ${n + 1}: field name ${JSON.stringify(bad)} is not a plain name` };
    if (fields.length === 0) return { ok: false, error: `line ${n + 1}: name at least one field for ${action}` };
    if (action in value) return { ok: false, error: `line ${n + 1}: ${action} is listed twice` };
    value[action] = [...new Set(fields)];
  }
  return { ok: true, value };
}

/** `config` with its `key` replaced by `value` (other settings kept; an empty map drops the key). */
export function withConfigKey(config: Json, key: string, value: { [name: string]: Json }): { [key: string]: Json } {
  const base = config && typeof config === 'object' && !Array.isArray(config) ? { ...config } : {};
  if (Object.keys(value).length === 0) delete base[key];
  else base[key] = value;
  return base;
}

/** `config` with its `confirm_fields` replaced (other settings kept). */
export function withConfirmFields(config: Json, fields: { [action: string]: string[] }): { [key: string]: Json } {
  return withConfigKey(config, 'confirm_fields', fields);
}

/**
 * Whether `url` is plain http to a host that is not this machine: a token is only sent there when
 * the admin allows it for the backend (the Rust side refuses otherwise; this only decides what to show).
 */
export function isPlainHttpOffMachine(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return false;
  }
  if (u.protocol !== 'http:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) return false;
  // IPv4-mapped loopback as the URL parser writes it.
  return !/^::ffff:(7f[0-9a-f]{2}:[0-9a-f]{1,4}|127\.\d+\.\d+\.\d+)$/.test(host);
}
