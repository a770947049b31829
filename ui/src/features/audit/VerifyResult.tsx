import { memo, useState } from 'react';
import type { Conclusion, ReceiptSummary, TrustedKey, VerifyOutcome, VerifyReport } from '../../api/types';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { Files, Range } from './BundleParts';
import { TrustKeyForm } from './TrustKeyForm';

/** Each conclusion as a badge: its words and whether it is the strong one. */
export const CONCLUSIONS: Record<Conclusion, { text: string; className: string }> = {
  anchored: { text: 'anchored', className: 'badge pass' },
  signed_not_anchored: { text: 'signed, not anchored', className: 'badge warn' },
  integrity_only: { text: 'integrity only', className: 'badge warn' },
};

function Receipts({ receipts }: { receipts: ReceiptSummary[] }) {
  if (receipts.length === 0)
    return (
      <p className="muted small note" data-testid="verify-no-receipts">
        No checkpoint receipts in this bundle.
      </p>
    );
  return (
    <table className="grid receipts">
      <thead>
        <tr>
          <th className="num">Seq</th>
          <th>Backend key</th>
          <th>Received (backend clock)</th>
          <th>Trusted</th>
        </tr>
      </thead>
      <tbody>
        {receipts.map((r) => (
          <tr key={`${r.backend_key}/${r.seq}`} data-testid="verify-receipt" data-seq={r.seq} data-trusted={r.backend_trusted ? 'true' : 'false'}>
            <td className="num">{r.seq}</td>
            <td>
              <code className="fingerprint" title={r.backend_key}>
                {r.backend_fingerprint}
              </code>
              {r.backend_label ? (
                <>
                  {' '}
                  <SafeText text={r.backend_label} />
                </>
              ) : null}
            </td>
            <td>
              <TimeText value={r.received_at} />
            </td>
            <td>{r.backend_trusted ? <span className="badge pass">trusted</span> : <span className="badge warn">not trusted: anchors nothing</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Verified({ dir, report, publicKey }: { dir: string; report: VerifyReport; publicKey: string | null }) {
  const c = CONCLUSIONS[report.conclusion];
  return (
    <div className="verify-ok" data-testid="verify-ok" data-conclusion={report.conclusion}>
      <p className="ok-text note">
        <span className="badge pass">verified</span>{' '}
        <span className={c.className} data-testid="verify-conclusion">
          {c.text}
        </span>{' '}
        <SafeText text={dir} />
      </p>
      <p className="note small" data-testid="verify-summary">
        <SafeText text={report.summary} />
      </p>
      <dl className="kv">
        <dt>Signed by</dt>
        <dd>
          <code className="fingerprint" data-testid="verify-signer-fingerprint">
            {report.fingerprint}
          </code>{' '}
          <span data-testid="verify-signer-label">
            <SafeText text={report.signer_label || '(no label)'} />
          </span>{' '}
          {publicKey ? (
            report.public_key === publicKey ? (
              <span className="badge pass" data-testid="verify-key-match">
                this installation's key
              </span>
            ) : (
              <span className="badge pass" data-testid="verify-key-other">
                a trusted key other than this installation's
              </span>
            )
          ) : null}
          <div>
            <code className="hash">{report.public_key}</code>
          </div>
        </dd>
        <dt>Created</dt>
        <dd>
          <TimeText value={report.created_at} />
        </dd>
        <dt>Range</dt>
        <dd>
          <Range from={report.from} to={report.to} />
        </dd>
        <dt>Audit events</dt>
        <dd>
          {report.audit_events.toLocaleString('en-US')}
          <span className="muted small" data-testid="verify-unanchored">
            {' '}
            ({report.unanchored_events.toLocaleString('en-US')} not anchored by a trusted backend)
          </span>
        </dd>
        <dt>Audit head</dt>
        <dd>
          seq {report.audit_head.seq} · <code className="hash">{report.audit_head.hash}</code>
        </dd>
      </dl>
      <h3>Checkpoint receipts</h3>
      <Receipts receipts={report.receipts} />
      <Files files={report.files} />
    </div>
  );
}

/**
 * The answer of Verify: what a bundle that verifies lets an auditor conclude (anchored or
 * not, signer, receipts), or why it fails. A valid signature by an untrusted key is a
 * failure, with the signer's fingerprint and a way to trust the key after comparing it.
 */
export const VerifyResult = memo(function VerifyResult({
  dir,
  outcome,
  publicKey,
  onTrusted,
}: {
  dir: string;
  outcome: VerifyOutcome;
  publicKey: string | null;
  onTrusted: (key: TrustedKey) => void;
}) {
  const [importing, setImporting] = useState(false);
  if (outcome.result === 'verified') return <Verified dir={dir} report={outcome.report} publicKey={publicKey} />;
  const untrusted = outcome.error.kind === 'untrusted_signer';
  const signer = outcome.error.signer_key;
  return (
    <div className="verify-failed" data-testid="verify-failed" data-code={untrusted ? 'untrusted_signer' : 'verify_failed'}>
      <p className="note">
        <span className="badge fail">{untrusted ? 'signature valid, signer not trusted' : 'does not verify'}</span> <SafeText text={dir} />
      </p>
      {untrusted && signer ? (
        <>
          <dl className="kv">
            <dt>Signer fingerprint</dt>
            <dd>
              <code className="fingerprint" data-testid="verify-signer-fingerprint">
                {outcome.signer_fingerprint}
              </code>
            </dd>
          </dl>
          <p className="muted small note" data-testid="verify-message">
            <SafeText text={outcome.message} />
          </p>
          <p className="warn-text note small">
            The files are intact, but this key is not among the trusted installation keys: anyone can produce such a bundle. If its owner confirms this fingerprint,
            trust the key.
          </p>
          {importing ? (
            <TrustKeyForm
              known={{ public_key: signer, fingerprint: outcome.signer_fingerprint ?? '', trusted: null }}
              onTrusted={(k) => {
                setImporting(false);
                onTrusted(k);
              }}
              onCancel={() => setImporting(false)}
            />
          ) : (
            <div>
              <button type="button" className="btn" data-testid="verify-import-key" onClick={() => setImporting(true)}>
                Import this key…
              </button>
            </div>
          )}
        </>
      ) : (
        <p className="warn-text note" data-testid="verify-message">
          <SafeText text={outcome.message} />
        </p>
      )}
    </div>
  );
});
