import { useState } from 'react';
import { listTrustedKeys, removeTrustedKey } from '../../api/governance';
import type { TrustedKey, TrustedKeySource } from '../../api/types';
import { useReportError } from '../../app/errors';
import { useLoad } from '../../app/useLoad';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { TrustKeyForm } from './TrustKeyForm';

/** How a key came to be trusted, in words. */
export const SOURCE_LABELS: Record<TrustedKeySource, string> = {
  this_installation: 'this installation',
  imported: 'imported by an admin',
  pinned: 'pinned at first receipt',
};

/** The trusted keys as a table; Remove asks once more; this installation's own key has none. */
export function TrustedKeyTable({ keys, onRemove }: { keys: TrustedKey[]; onRemove: (k: TrustedKey) => void }) {
  const [confirming, setConfirming] = useState<string | null>(null);
  if (keys.length === 0) return <p className="empty">No trusted keys.</p>;
  return (
    <div className="table-wrap">
      <table className="grid">
        <thead>
          <tr>
            <th>Label</th>
            <th>Fingerprint</th>
            <th>Role</th>
            <th>Source</th>
            <th>Added</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.public_key} data-testid="trusted-key-row" data-public-key={k.public_key} data-role={k.role} data-source={k.source}>
              <td>
                <SafeText text={k.label || '—'} />
              </td>
              <td>
                <code className="fingerprint" title={k.public_key} data-testid="trusted-key-fingerprint">
                  {k.fingerprint}
                </code>
              </td>
              <td>{k.role}</td>
              <td>{SOURCE_LABELS[k.source]}</td>
              <td>
                <TimeText value={k.added_at} compact />
              </td>
              <td>
                {k.source === 'this_installation' ? null : confirming === k.public_key ? (
                  <span data-testid="trusted-key-confirm">
                    <span className="small">Bundles it signed stop verifying here. </span>
                    <button type="button" className="btn small danger" data-testid="trusted-key-remove-confirm" onClick={() => onRemove(k)}>
                      Stop trusting
                    </button>{' '}
                    <button type="button" className="btn small" onClick={() => setConfirming(null)}>
                      Keep
                    </button>
                  </span>
                ) : (
                  <button type="button" className="btn small" data-testid="trusted-key-remove" onClick={() => setConfirming(k.public_key)}>
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Trusted keys: the installation keys whose bundles Verify accepts and the backend keys whose
 * receipts anchor the chain. Add by pasting a key (its fingerprint is shown to compare before
 * it is trusted with a label), remove any but this installation's own.
 */
export function TrustedKeys({ nonce, onChanged }: { nonce: number; onChanged: () => void }) {
  const report = useReportError();
  const keys = useLoad(listTrustedKeys, `trusted-keys|${nonce}`, 'list_trusted_keys');
  const [adding, setAdding] = useState(false);
  const remove = async (k: TrustedKey) => {
    try {
      await removeTrustedKey(k.public_key);
      onChanged();
    } catch (e) {
      report(e, 'remove_trusted_key');
    }
  };
  return (
    <section className="detail-section" data-testid="trusted-keys">
      <h2>Trusted keys</h2>
      <p className="muted small note">
        Verify accepts a bundle only when an installation key below signed it; a receipt anchors the chain only when its backend key is below. Never trust a key
        because a bundle carries it: compare its fingerprint with its owner first.
      </p>
      {keys.loading && !keys.data ? <p className="muted">Loading…</p> : null}
      {keys.data ? <TrustedKeyTable keys={keys.data} onRemove={remove} /> : null}
      {adding ? (
        <TrustKeyForm
          key={nonce}
          onTrusted={() => {
            setAdding(false);
            onChanged();
          }}
          onCancel={() => setAdding(false)}
        />
      ) : (
        <button type="button" className="btn" data-testid="trusted-key-add" onClick={() => setAdding(true)}>
          Add a key…
        </button>
      )}
    </section>
  );
}
