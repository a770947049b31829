import { memo, useCallback, useEffect, useState } from 'react';
import { exportAudit, verifyAudit } from '../../api/governance';
import type { ExportResult, VerifyOutcome } from '../../api/types';
import { useReportError } from '../../app/errors';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { localInputToRfc3339 } from '../../lib/viewState';
import { Files, Range } from './BundleParts';
import { VerifyResult } from './VerifyResult';

/** The result of an export: where it went, what it holds, and checkpoint warnings. */
export const ExportSummary = memo(function ExportSummary({ exported }: { exported: ExportResult }) {
  const receipts = exported.manifest.files.find((f) => f.name === 'receipts.jsonl')?.lines ?? 0;
  return (
    <div className="export-result" data-testid="export-result" data-dir={exported.dir} data-receipts={receipts}>
      {exported.warnings.length > 0 ? (
        <ul className="plain-list warn-text small" data-testid="export-warnings">
          {exported.warnings.map((w, i) => (
            <li key={i}>
              <SafeText text={w} />
            </li>
          ))}
        </ul>
      ) : null}
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
        <dt>Checkpoint receipts</dt>
        <dd data-testid="export-receipts">
          {receipts === 0 ? 'none (no native backend countersigned this stretch of the chain)' : `${receipts} from the connected backends`}
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
  );
});

/**
 * Export a signed bundle for a range (after a checkpoint with each native backend), and verify
 * a bundle folder offline against this console's trusted keys.
 */
export function ExportVerify({
  publicKey,
  suggestedDir,
  onExported,
  onTrustChanged,
}: {
  publicKey: string | null;
  suggestedDir: string | null;
  onExported: () => void;
  onTrustChanged: () => void;
}) {
  const report = useReportError();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState<ExportResult | null>(null);
  const [dir, setDir] = useState('');
  const [verifying, setVerifying] = useState(false);
  const [verified, setVerified] = useState<{ dir: string; outcome: VerifyOutcome } | null>(null);

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
      onExported();
    } catch (e) {
      report(e, 'export_audit');
    } finally {
      setExporting(false);
    }
  };

  const doVerify = async (folder: string = dir) => {
    const d = folder.trim();
    if (!d) return;
    setVerifying(true);
    setVerified(null);
    try {
      // A failed verification is an answer, shown here; only errors go to the banner.
      setVerified({ dir: d, outcome: await verifyAudit(d) });
    } catch (e) {
      report(e, 'verify_audit');
    } finally {
      setVerifying(false);
    }
  };

  // Stable, so typing in the folder box does not re-render the verification shown below it.
  const verifiedDir = verified?.dir;
  const onTrusted = useCallback(() => {
    onTrustChanged();
    if (verifiedDir) void doVerify(verifiedDir);
    // doVerify only uses setters and the folder it is given.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [onTrustChanged, verifiedDir]);

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
        {exported ? <ExportSummary exported={exported} /> : null}
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
          <button type="button" className="btn" data-testid="audit-verify" disabled={verifying || dir.trim() === ''} onClick={() => doVerify()}>
            {verifying ? 'Verifying…' : 'Verify'}
          </button>
        </div>
        <p className="muted small note">Checks every file's hash, the event chain, the checkpoint receipts and the manifest signature, offline, and that the signer is one of the trusted keys below.</p>
        {verified ? (
          <VerifyResult
            key={`${verified.dir}|${verified.outcome.result}`}
            dir={verified.dir}
            outcome={verified.outcome}
            publicKey={publicKey}
            onTrusted={onTrusted}
          />
        ) : null}
      </div>
    </div>
  );
}
