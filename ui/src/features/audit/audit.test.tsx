// Audit view pieces, rendered server-side: the verify answer (conclusion, signer, receipts, an
// untrusted signer as a failure with a way to trust it), the trusted keys, the export summary.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ExportResult, ReceiptSummary, TrustedKey, VerifyOutcome, VerifyReport } from '../../api/types';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { ExportSummary } from './ExportVerify';
import { TrustKeyForm } from './TrustKeyForm';
import { TrustedKeyTable } from './TrustedKeys';
import { VerifyResult } from './VerifyResult';

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

const OWN = '3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29';
const OTHER = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const FP = '1111:2222:3333:4444:5555:6666:7777:8888';

const receipt = (trusted: boolean): ReceiptSummary => ({
  seq: 7,
  head_hash: 'ab'.repeat(32),
  backend_key: OTHER,
  backend_fingerprint: '9999:aaaa:bbbb:cccc:dddd:eeee:ffff:0000',
  received_at: '2026-11-25T15:00:00.000Z',
  backend_trusted: trusted,
  backend_label: trusted ? 'Reference backend' : null,
});

const report = (over: Partial<VerifyReport>): VerifyReport => ({
  format: 'countersign-audit-bundle/2',
  created_at: '2026-11-25T15:01:00.000Z',
  from: null,
  to: null,
  files: [{ name: 'runs.jsonl', lines: 3, sha256: 'cd'.repeat(32) }],
  audit_events: 9,
  audit_head: { seq: 9, hash: 'ef'.repeat(32) },
  public_key: OWN,
  fingerprint: FP,
  signer_trusted: true,
  signer_label: 'this installation',
  receipts: [],
  anchor: null,
  unanchored_events: 9,
  conclusion: 'signed_not_anchored',
  summary: 'Signed, not anchored: signed by trusted installation key …',
  ...over,
});

const verified = (r: VerifyReport): VerifyOutcome => ({ result: 'verified', report: r });

describe('verify result', () => {
  it('anchored: conclusion, summary, signer fingerprint and label, receipts', () => {
    const r = report({ receipts: [receipt(true)], anchor: receipt(true), unanchored_events: 2, conclusion: 'anchored', summary: 'Anchored: signed by …' });
    const html = wrap(<VerifyResult dir="/x/audit-1" outcome={verified(r)} publicKey={OWN} onTrusted={() => {}} />);
    expect(html).toContain('data-testid="verify-ok"');
    expect(html).toContain('data-conclusion="anchored"');
    expect(html).toMatch(/data-testid="verify-conclusion">anchored</);
    expect(html).toContain('Anchored: signed by');
    expect(html).toContain(FP);
    expect(html).toMatch(/data-testid="verify-signer-label">this installation</);
    expect(html).toContain('data-testid="verify-key-match"');
    expect(html).toMatch(/data-testid="verify-receipt" data-seq="7" data-trusted="true"/);
    expect(html).toContain('Reference backend');
    expect(html).toContain('2 not anchored');
    expect(html).not.toContain('verify-failed');
  });

  it('signed, not anchored: says so and that there are no receipts', () => {
    const html = wrap(<VerifyResult dir="/x" outcome={verified(report({}))} publicKey={OWN} onTrusted={() => {}} />);
    expect(html).toMatch(/data-testid="verify-conclusion">signed, not anchored</);
    expect(html).toContain('data-testid="verify-no-receipts"');
  });

  it('a trusted key other than this installation is named as such', () => {
    const html = wrap(
      <VerifyResult dir="/x" outcome={verified(report({ public_key: OTHER, signer_label: "Ana's laptop" }))} publicKey={OWN} onTrusted={() => {}} />,
    );
    expect(html).toContain('data-testid="verify-key-other"');
    expect(html).toContain('Ana&#x27;s laptop');
  });

  it('an untrusted signer is a failure with its fingerprint and an import path', () => {
    const outcome: VerifyOutcome = {
      result: 'failed',
      error: { file: 'manifest.json', line: null, reason: 'signature valid, signer not trusted', kind: 'untrusted_signer', signer_key: OTHER },
      message: `manifest.json: signature valid, signer not trusted: key fingerprint ${FP}`,
      signer_fingerprint: FP,
    };
    const html = wrap(<VerifyResult dir="/x" outcome={outcome} publicKey={OWN} onTrusted={() => {}} />);
    expect(html).toContain('data-testid="verify-failed"');
    expect(html).toContain('data-code="untrusted_signer"');
    expect(html).toContain('signature valid, signer not trusted');
    expect(html).toMatch(new RegExp(`data-testid="verify-signer-fingerprint">${FP}<`));
    expect(html).toContain('data-testid="verify-import-key"');
    expect(html).not.toContain('data-testid="verify-ok"');
  });

  it('an invalid bundle names the first bad record and offers no import', () => {
    const outcome: VerifyOutcome = {
      result: 'failed',
      error: { file: 'runs.jsonl', line: 1, reason: 'line edited', kind: 'invalid', signer_key: null },
      message: 'runs.jsonl line 1: line edited',
      signer_fingerprint: null,
    };
    const html = wrap(<VerifyResult dir="/x" outcome={outcome} publicKey={OWN} onTrusted={() => {}} />);
    expect(html).toContain('data-code="verify_failed"');
    expect(html).toContain('does not verify');
    expect(html).toContain('runs.jsonl line 1: line edited');
    expect(html).not.toContain('verify-import-key');
  });
});

describe('trusting a key', () => {
  it('a known key shows its fingerprint to compare and asks for a label before trusting', () => {
    const html = wrap(<TrustKeyForm known={{ public_key: OTHER, fingerprint: FP, trusted: null }} onTrusted={() => {}} />);
    expect(html).toContain('data-step="confirm"');
    expect(html).toMatch(new RegExp(`data-testid="trust-fingerprint">${FP}<`));
    expect(html).toContain('Compare this fingerprint');
    expect(html).toContain('data-testid="trust-label"');
    // No label yet: Trust is disabled.
    expect(html).toMatch(/data-testid="trust-confirm" disabled=""/);
  });

  it('without a key, asks for one to paste first', () => {
    const html = wrap(<TrustKeyForm onTrusted={() => {}} />);
    expect(html).toContain('data-step="paste"');
    expect(html).toContain('data-testid="trust-key-input"');
    expect(html).not.toContain('trust-confirm');
  });

  it('the table lists fingerprint, role, source and added; this installation has no Remove', () => {
    const keys: TrustedKey[] = [
      { public_key: OWN, fingerprint: FP, role: 'installation', label: 'this installation', source: 'this_installation', backend_id: null, added_at: '2026-11-25T15:00:00Z' },
      { public_key: OTHER, fingerprint: '9999:aaaa', role: 'backend', label: 'Reference', source: 'pinned', backend_id: 'b1', added_at: '2026-11-25T15:00:00Z' },
    ];
    const html = wrap(<TrustedKeyTable keys={keys} onRemove={() => {}} />);
    expect(html.match(/data-testid="trusted-key-row"/g)).toHaveLength(2);
    expect(html).toContain(`data-public-key="${OWN}" data-role="installation" data-source="this_installation"`);
    expect(html).toContain('pinned at first receipt');
    expect(html).toContain(FP);
    expect(html.match(/data-testid="trusted-key-remove"/g)).toHaveLength(1);
  });
});

describe('export summary', () => {
  it('counts receipts and lists checkpoint warnings', () => {
    const exported: ExportResult = {
      dir: '/x/audit-1',
      manifest: {
        format: 'countersign-audit-bundle/2',
        created_at: '2026-11-25T15:01:00.000Z',
        range: { from: null, to: null },
        files: [{ name: 'receipts.jsonl', sha256: 'ab'.repeat(32), lines: 2, line_sha256: ['a', 'b'] }],
        audit_head: { seq: 3, hash: 'cd'.repeat(32) },
        public_key: OWN,
        signature: 'ef'.repeat(64),
      },
      warnings: ['checkpoint with Prod failed: backend unreachable'],
    };
    const html = wrap(<ExportSummary exported={exported} />);
    expect(html).toContain('data-receipts="2"');
    expect(html).toContain('checkpoint with Prod failed');
    expect(html).toContain('data-testid="export-warnings"');
  });
});
