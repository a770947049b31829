import type { AuditInfo } from '../../api/types';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';

/** The chain's verdict, its head, and the installation's signing key. */
export function ChainStatus({ info }: { info: AuditInfo | null }) {
  if (!info) return <p className="muted">Loading…</p>;
  return (
    <dl className="kv" data-testid="audit-chain" data-ok={info.chain_ok ? 'true' : 'false'}>
      <dt>Chain</dt>
      <dd>
        {info.chain_ok ? (
          <span className="badge pass" data-testid="chain-ok">
            intact
          </span>
        ) : (
          <span data-testid="chain-broken">
            <span className="badge fail">broken</span>{' '}
            <span className="warn-text">
              <SafeText text={info.chain_error ?? 'unknown error'} />
            </span>
          </span>
        )}
        <span className="muted small"> — every event carries the SHA-256 of the one before; the stored chain was re-verified just now.</span>
      </dd>
      <dt>Head</dt>
      <dd data-testid="audit-head" data-seq={info.head?.seq ?? 0}>
        {info.head ? (
          <>
            seq <strong>{info.head.seq}</strong> · <TimeText value={info.head.at} /> · <code className="hash">{info.head.hash}</code>
          </>
        ) : (
          <span className="muted">no events yet</span>
        )}
      </dd>
      <dt>Public key</dt>
      <dd>
        <code className="hash" data-testid="public-key">
          {info.public_key}
        </code>
        <div className="muted small">Ed25519, hex. Give it to whoever verifies an export so they can check the signature came from this installation.</div>
      </dd>
      <dt>Exports folder</dt>
      <dd>
        <code>
          <SafeText text={info.exports_dir} />
        </code>
      </dd>
    </dl>
  );
}
