import { useState } from 'react';
import { toApiError } from '../../api';
import { describeKey, trustKey } from '../../api/governance';
import type { KeyDescription, TrustedKey, TrustedKeyRole } from '../../api/types';
import { useReportError } from '../../app/errors';
import { SafeText } from '../../components/SafeText';

/**
 * Trust a public key in two steps: the key (pasted, or the signer of a bundle) is shown with its
 * fingerprint to compare with its owner over a channel you trust; then a label and a role, and
 * Trust. With `known`, the first step is done already.
 */
export function TrustKeyForm({
  known = null,
  role: initialRole = 'installation',
  onTrusted,
  onCancel,
}: {
  known?: KeyDescription | null;
  role?: TrustedKeyRole;
  onTrusted: (key: TrustedKey) => void;
  onCancel?: () => void;
}) {
  const report = useReportError();
  const [text, setText] = useState('');
  const [described, setDescribed] = useState<KeyDescription | null>(known);
  const [problem, setProblem] = useState<string | null>(null);
  const [label, setLabel] = useState('');
  const [role, setRole] = useState<TrustedKeyRole>(initialRole);
  const [busy, setBusy] = useState(false);

  const check = async () => {
    setBusy(true);
    setProblem(null);
    try {
      setDescribed(await describeKey(text));
    } catch (e) {
      const err = toApiError(e);
      if (err.code === 'invalid_input') setProblem(err.message);
      else report(err, 'describe_key');
    } finally {
      setBusy(false);
    }
  };

  const trust = async () => {
    if (!described) return;
    setBusy(true);
    setProblem(null);
    try {
      onTrusted(await trustKey(described.public_key, role, label.trim()));
    } catch (e) {
      const err = toApiError(e);
      if (err.code === 'invalid_input') setProblem(err.message);
      else report(err, 'trust_key');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="trust-form" data-testid="trust-form" data-step={described ? 'confirm' : 'paste'}>
      {described ? (
        <>
          <dl className="kv">
            <dt>Public key</dt>
            <dd>
              <code className="hash" data-testid="trust-public-key">
                {described.public_key}
              </code>
            </dd>
            <dt>Fingerprint</dt>
            <dd>
              <code className="fingerprint" data-testid="trust-fingerprint">
                {described.fingerprint}
              </code>
            </dd>
          </dl>
          <p className="note small" data-testid="trust-compare">
            Compare this fingerprint with the key's owner over a channel you trust (in person, by phone) before trusting it.
          </p>
          {described.trusted ? (
            <p className="muted small note" data-testid="trust-already">
              Trusted already as {described.trusted.role} key “<SafeText text={described.trusted.label} />”; trusting it again changes its label and role.
            </p>
          ) : null}
          <div className="filters-row">
            <label className="field-inline">
              Label{' '}
              <input type="text" data-testid="trust-label" placeholder="whose key (e.g. Ana's laptop)" value={label} onChange={(e) => setLabel(e.target.value)} />
            </label>
            <label className="field-inline">
              Role{' '}
              <select data-testid="trust-role" value={role} onChange={(e) => setRole(e.target.value as TrustedKeyRole)}>
                <option value="installation">installation (may sign bundles)</option>
                <option value="backend">backend (receipts anchor the chain)</option>
              </select>
            </label>
            <button type="button" className="btn primary" data-testid="trust-confirm" disabled={busy || label.trim() === ''} onClick={trust}>
              {busy ? 'Trusting…' : 'Trust this key'}
            </button>
            {onCancel ? (
              <button type="button" className="btn" data-testid="trust-cancel" onClick={onCancel}>
                Cancel
              </button>
            ) : null}
          </div>
        </>
      ) : (
        <div className="filters-row">
          <label className="field-inline grow">
            Public key{' '}
            <input
              type="text"
              className="dir-input"
              data-testid="trust-key-input"
              placeholder="Ed25519 public key, 64 hex digits"
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          </label>
          <button type="button" className="btn" data-testid="trust-check" disabled={busy || text.trim() === ''} onClick={check}>
            Show fingerprint
          </button>
        </div>
      )}
      {problem ? (
        <p className="warn-text small note" data-testid="trust-problem">
          <SafeText text={problem} />
        </p>
      ) : null}
    </div>
  );
}
