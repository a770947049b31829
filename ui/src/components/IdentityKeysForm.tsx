import { useEffect, useState, type ReactNode } from 'react';
import type { IdentityKeys } from '../api';
import { KEY_LISTS, keysText, parseKeys, type KeyList } from '../lib/identityKeys';

/**
 * Which metadata keys name a run's user, tenant (and session): one line of comma-separated keys
 * a list, tried in order. `lists` says which lists the source reads; the others are kept as
 * they are. The Rust side checks the keys when they are saved.
 */
export function IdentityKeysForm({
  keys,
  lists = ['user_keys', 'tenant_keys', 'session_keys'],
  busy,
  done,
  error,
  onEdit,
  onSave,
  children,
}: {
  keys: IdentityKeys;
  lists?: readonly KeyList[];
  busy: boolean;
  /** The last save succeeded and nothing changed since. */
  done: boolean;
  /** Why the last save was refused, if it was. */
  error?: ReactNode;
  onEdit?: () => void;
  onSave: (keys: IdentityKeys) => void;
  children?: ReactNode;
}) {
  const text = (k: IdentityKeys) => Object.fromEntries(KEY_LISTS.map(({ list }) => [list, keysText(k[list])])) as Record<KeyList, string>;
  const [draft, setDraft] = useState(() => text(keys));
  const savedText = text(keys);
  const saved = JSON.stringify(savedText);
  useEffect(() => setDraft(JSON.parse(saved) as Record<KeyList, string>), [saved]);
  const next: IdentityKeys = { ...keys };
  for (const l of lists) next[l] = parseKeys(draft[l]);
  const changed = lists.some((l) => keysText(next[l]) !== savedText[l]);
  const empty = lists.find((l) => next[l].length === 0);

  return (
    <section className="identity-keys" data-testid="identity-keys">
      <h4>Metadata keys naming the user and tenant</h4>
      {children}
      <div className="filters-row">
        {KEY_LISTS.filter(({ list }) => lists.includes(list)).map(({ list, label }) => (
          <label className="field-inline" key={list}>
            {label}
            <input
              className="input"
              type="text"
              data-testid={`identity-${list}`}
              size={28}
              spellCheck={false}
              value={draft[list]}
              onChange={(e) => {
                setDraft({ ...draft, [list]: e.target.value });
                onEdit?.();
              }}
            />
          </label>
        ))}
        <button type="button" className="btn" data-testid="identity-save" disabled={busy || !changed || empty !== undefined} onClick={() => onSave(next)}>
          Save
        </button>
      </div>
      {empty !== undefined && changed ? (
        <p className="warn-text small" data-testid="identity-error">
          Name at least one key for {KEY_LISTS.find((k) => k.list === empty)?.label.toLowerCase()}.
        </p>
      ) : error ? (
        <p className="warn-text small" data-testid="identity-error" role="alert">
          {error}
        </p>
      ) : done ? (
        <p className="ok-text small">Saved; applies to runs synced or imported from now on.</p>
      ) : null}
    </section>
  );
}
