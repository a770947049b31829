import { useEffect, useState } from 'react';
import { toApiError, type ApiError } from '../../api';
import { exportAudit, verifyAudit } from '../../api/governance';
import type { ExportResult, VerifyReport } from '../../api/types';
import { useReportError } from '../../app/errors';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { localInputToRfc3339 } from '../../lib/viewState';

function Range({ from, to }: { from: string | null; to: string | null }) {
  return (
    <>
      {from ? <TimeText value={from} /> : 'the first event'} → {to ? <TimeText value={to} /> : 'now'}
    </>
  );
}

function Files({ files }: { files: { name: string; lines: number; sha256?: string }[] }) {
  return (
    <table className="grid files">
      <thead>
        <tr>
          <th>File</th>
          <th className="num">Lines</th>
          <th>SHA-256</th>
        </tr>
      </thead>
      <tbody>
        {files.map((f) => (
          <tr key={f.name} data-testid="bundle-file" data-name={f.name}>
            <td>
              <code>
                <SafeText text={f.name} />
              </code>
            </td>
            <td className="num">{f.lines.toLocaleString('en-US')}</td>
            <td>
              <code className="hash">{f.sha256 ?? '—'}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Export a signed bundle for a range, and verify a bundle folder offline. */
export function ExportVerify({
  publicKey,
  suggestedDir,
  onExported,
}: {
  publicKey: string | null;
  suggestedDir: string | null;
  onExported: () => void;
}) {
  const report = useReportError();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState<ExportResult | null>(null);
  const [dir, setDir] = useState('');
  const [verifying, setVerifying] = useState(false);
  const [verified, setVerified] = useState<{ dir: string; report: VerifyReport } | null>(null);
  const [verifyError, setVerifyError] = useState<{ dir: string; error: ApiError } | null>(null);

  const [touched, setTouched] = useState(false);
  useEffect(() => {
    if (!touched && suggestedDir) setDir((d) => (d === '' ? suggestedDir : d));
  }, [suggestedDir, touched]);

  const fromIso = from ? localInputToRfc3339(from) : null;
  const toIso = to ? localInputToRfc3339(to) : null;
  const rangeBad = (from !== '' && !fromIso) || (to !== '' && !toIso) || (!!fromIso && !!toIso && fromIso >= toIso);

  const doExport = async () => {
    setExporting(true);
    try {
      const r = await exportAudit(fromIso, toIso);
      setExported(r);
      setDir(r.dir);
      setVerified(null);
      setVerifyError(null);
      onExported();
    } catch (e) {
      report(e, 'export_audit');
    } finally {
      setExporting(false);
    }
  };

  const doVerify = async () => {
    const d = dir.trim();
    if (!d) return;
    setVerifying(true);
    setVerified(null);
    setVerifyError(null);
    try {
      setVerified({ dir: d, report: await verifyAudit(d) });
    } catch (e) {
      const err = toApiError(e);
      // A failed verification is an answer, shown here; other errors go to the banner too.
      setVerifyError({ dir: d, error: err });
      if (err.code !== 'verify_failed') report(err, 'verify_audit');
    } finally {
      setVerifying(false);
    }
  };

  return (
    <div className="export-verify">
      <div className="detail-section">
        <h2>Export a signed bundle</h2>
        <div className="filters-row">
          <label className="field-inline">
            From{' '}
            <input type="datetime-local" data-testid="export-from" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label className="field-inline">
            To{' '}
            <input type="datetime-local" data-testid="export-to" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <button type="button" className="btn primary" data-testid="audit-export" disabled={exporting || rangeBad} onClick={doExport}>
            {exporting ? 'Exporting…' : 'Export'}
          </button>
          <span className="muted small">Empty = everything. Times in your zone; the range is [from, to).</span>
        </div>
        {rangeBad ? <p className="warn-text small note">"From" must be before "To".</p> : null}
        {exported ? (
          <div className="export-result" data-testid="export-result" data-dir={exported.dir}>
            <dl className="kv">
              <dt>Written to</dt>
              <dd>
                <code data-testid="export-dir">
                  <SafeText text={exported.dir} />
                </code>
              </dd>
              <dt>Format</dt>
              <dd>
                <SafeText text={exported.manifest.format} />
              </dd>
              <dt>Created</dt>
              <dd>
                <TimeText value={exported.manifest.created_at} />
              </dd>
              <dt>Range</dt>
              <dd>
                <Range from={exported.manifest.range.from} to={exported.manifest.range.to} />
              </dd>
              <dt>Audit head</dt>
              <dd>
                seq {exported.manifest.audit_head.seq} · <code className="hash">{exported.manifest.audit_head.hash}</code>
              </dd>
              <dt>Signed by</dt>
              <dd>
                <code className="hash">{exported.manifest.public_key}</code>
              </dd>
              <dt>Signature</dt>
              <dd>
                <code className="hash">{exported.manifest.signature}</code>
              </dd>
            </dl>
            <Files files={exported.manifest.files} />
          </div>
        ) : null}
      </div>
      <div className="detail-section">
        <h2>Verify a bundle</h2>
        <div className="filters-row">
          <label className="field-inline grow">
            Folder{' '}
            <input
              type="text"
              className="dir-input"
              data-testid="verify-dir"
              placeholder="path to an exported bundle folder"
              value={dir}
              onChange={(e) => {
                setTouched(true);
                setDir(e.target.value);
              }}
            />
          </label>
          <button type="button" className="btn" data-testid="audit-verify" disabled={verifying || dir.trim() === ''} onClick={doVerify}>
            {verifying ? 'Verifying…' : 'Verify'}
          </button>
        </div>
        <p className="muted small note">Checks every file's hash, the event chain and the manifest signature, offline.</p>
        {verified ? (
          <div className="verify-ok" data-testid="verify-ok">
            <p className="ok-text note">
              <span className="badge pass">verified</span> <SafeText text={verified.dir} />
            </p>
            <dl className="kv">
              <dt>Created</dt>
              <dd>
                <TimeText value={verified.report.created_at} />
              </dd>
              <dt>Range</dt>
              <dd>
                <Range from={verified.report.from} to={verified.report.to} />
              </dd>
              <dt>Audit events</dt>
              <dd>{verified.report.audit_events.toLocaleString('en-US')}</dd>
              <dt>Audit head</dt>
              <dd>
                seq {verified.report.audit_head.seq} · <code className="hash">{verified.report.audit_head.hash}</code>
              </dd>
              <dt>Signed by</dt>
              <dd>
                <code className="hash">{verified.report.public_key}</code>{' '}
                {publicKey ? (
                  verified.report.public_key === publicKey ? (
                    <span className="badge pass" data-testid="verify-key-match">
                      this installation's key
                    </span>
                  ) : (
                    <span className="badge fail" data-testid="verify-key-other">
                      a different key than this installation's
                    </span>
                  )
                ) : null}
              </dd>
            </dl>
            <Files files={verified.report.files} />
          </div>
        ) : null}
        {verifyError ? (
          <div className="verify-failed" data-testid="verify-failed" data-code={verifyError.error.code}>
            <p className="note">
              <span className="badge fail">{verifyError.error.code === 'verify_failed' ? 'does not verify' : 'could not verify'}</span>{' '}
              <SafeText text={verifyError.dir} />
            </p>
            <p className="warn-text note">
              <SafeText text={verifyError.error.message} />
            </p>
          </div>
        ) : null}
      </div>
    </div>
  );
}
