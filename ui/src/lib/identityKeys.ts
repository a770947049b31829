// Which metadata keys name a run's user, tenant and session: a source's identity keys as the
// editors show them. The rule itself (what a valid key is, the defaults) lives in Rust
// (`countersign_core::IdentityKeys`); the defaults and the config key are generated.
import type { IdentityKeys, Json } from '../api';
import { DEFAULT_IDENTITY_KEYS, IDENTITY_CONFIG_KEY } from '../api/generated/constants';

/** The three lists of an `IdentityKeys`. */
export type KeyList = keyof IdentityKeys;

/** The lists in display order, with what each names. */
export const KEY_LISTS: readonly { list: KeyList; label: string }[] = [
  { list: 'user_keys', label: 'User' },
  { list: 'tenant_keys', label: 'Tenant' },
  { list: 'session_keys', label: 'Session' },
];

/** The keys every source uses until it sets its own. */
export function defaultIdentityKeys(): IdentityKeys {
  return {
    user_keys: [...DEFAULT_IDENTITY_KEYS.user_keys],
    tenant_keys: [...DEFAULT_IDENTITY_KEYS.tenant_keys],
    session_keys: [...DEFAULT_IDENTITY_KEYS.session_keys],
  };
}

function strings(v: Json | undefined): string[] | null {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
}

/** The identity keys a backend config sets (`config.identity`), each list the default where it sets none. */
export function identityKeysOf(config: Json): IdentityKeys {
  const keys = defaultIdentityKeys();
  const set = config && typeof config === 'object' && !Array.isArray(config) ? config[IDENTITY_CONFIG_KEY] : null;
  if (!set || typeof set !== 'object' || Array.isArray(set)) return keys;
  for (const { list } of KEY_LISTS) keys[list] = strings(set[list]) ?? keys[list];
  return keys;
}

/** A key list as one line: `user_id, customer`. */
export function keysText(keys: readonly string[]): string {
  return keys.join(', ');
}

/** A line of keys back to a list: split on commas, trimmed, blanks dropped (Rust checks the rest). */
export function parseKeys(text: string): string[] {
  return text
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
}

export function sameIdentityKeys(a: IdentityKeys, b: IdentityKeys): boolean {
  return KEY_LISTS.every(({ list }) => a[list].length === b[list].length && a[list].every((k, i) => k === b[list][i]));
}

/** `config` with its identity keys replaced (other settings kept); the defaults remove the entry. */
export function withIdentityKeys(config: Json, keys: IdentityKeys): { [key: string]: Json } {
  const base = config && typeof config === 'object' && !Array.isArray(config) ? { ...config } : {};
  if (sameIdentityKeys(keys, defaultIdentityKeys())) delete base[IDENTITY_CONFIG_KEY];
  else base[IDENTITY_CONFIG_KEY] = { ...keys };
  return base;
}
