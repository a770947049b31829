// End-to-end audit trust: an app connected to the real reference backend checkpoints its
// chain head (periodically and before each export), so its bundle carries receipts and verifies
// as anchored; a copy re-signed with another key is a failure naming the untrusted signer until
// the admin trusts that key in the app, after which the same copy verifies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withRig, waitFor, backendGet, addBackendInApp } from './harness.mjs';

/** Canonical JSON as the audit crate writes it: keys sorted, no whitespace. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : Buffer.from(a) > Buffer.from(b) ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A key's fingerprint as docs/audit.md defines it. */
function fingerprint(hex) {
  const d = createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex').slice(0, 32);
  return d.match(/.{4}/g).join(':');
}

/**
 * Copies bundle `dir` to `out` without its receipts (they were issued for the original signer)
 * and re-signs the manifest with a fresh Ed25519 key: a bundle anyone could make. Returns the
 * new public key (hex).
 */
function resign(dir, out) {
  cpSync(dir, out, { recursive: true });
  writeFileSync(join(out, 'receipts.jsonl'), '');
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  const entry = m.files.find((f) => f.name === 'receipts.jsonl');
  Object.assign(entry, { sha256: createHash('sha256').update('').digest('hex'), lines: 0, line_sha256: [] });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url').toString('hex');
  m.public_key = pub;
  delete m.signature;
  m.signature = sign(null, Buffer.from(canonical(m)), privateKey).toString('hex');
  writeFileSync(join(out, 'manifest.json'), `${canonical(m)}\n`);
  return pub;
}

test('receipts anchor an export; a re-signed copy fails until its key is trusted', withRig('audit-trust', async (rig) => {
  const backend = await rig.backend(['--seed-runs', '5', '--trickle', '0', '--seed', '3']);
  // A short interval so the periodic checkpoint is seen twice: the first receipt pins the
  // backend key (an audit event), the next one countersigns that new head.
  const { session: s } = await rig.app({ COUNTERSIGN_CHECKPOINT_INTERVAL_S: '1' });
  await addBackendInApp(s, backend);

  await (await s.find('[data-testid="nav-audit"]')).click();
  const own = await waitFor('the public key', async () => {
    const t = await (await s.find('[data-testid="public-key"]')).text();
    return /^[0-9a-f]{64}$/.test(t) ? t : null;
  });
  // This installation's key is trusted from the first launch.
  await s.waitFind(`[data-testid="trusted-key-row"][data-public-key="${own}"][data-source="this_installation"]`);
  // The worker checkpoints without any export, and again when due.
  const kept = await waitFor('two periodic receipts at the backend', async () => {
    const r = await backendGet(backend, `/v1/audit/checkpoints?installation_key=${own}`);
    return r.items.length >= 2 ? r.items : null;
  }, 30_000);
  assert.ok(kept.every((x) => x.installation_key === own));

  await (await s.find('[data-testid="audit-export"]')).click();
  const result = await s.waitFind('[data-testid="export-result"]');
  const dir = await result.attr('data-dir');
  assert.ok(Number(await result.attr('data-receipts')) >= 1, 'the export counts its receipts');
  const receipts = readFileSync(join(dir, 'receipts.jsonl'), 'utf8').trim().split('\n').filter(Boolean);
  assert.ok(receipts.length >= 1, 'receipts.jsonl is not empty');
  assert.equal(JSON.parse(receipts.at(-1)).installation_key, own);
  assert.equal((await s.findAll('[data-testid="export-warnings"]')).length, 0, 'no checkpoint warnings');

  await (await s.find('[data-testid="audit-verify"]')).click();
  const ok = await s.waitFind('[data-testid="verify-ok"]');
  assert.equal(await ok.attr('data-conclusion'), 'anchored');
  assert.match(await (await s.find('[data-testid="verify-summary"]')).text(), /^Anchored/);
  assert.equal(await (await s.find('[data-testid="verify-signer-fingerprint"]')).text(), fingerprint(own));
  assert.equal(await (await s.find('[data-testid="verify-signer-label"]')).text(), 'this installation');
  await s.waitFind('[data-testid="verify-key-match"]');
  await s.waitFind('[data-testid="verify-receipt"][data-trusted="true"]');
  // The backend key was pinned at its first receipt.
  await s.waitFind('[data-testid="trusted-key-row"][data-role="backend"][data-source="pinned"]');

  // Someone else's copy: intact and validly signed, but by a key nobody trusted.
  const copy = join(rig.tempDir('resigned'), 'bundle');
  const other = resign(dir, copy);
  await (await s.find('[data-testid="verify-dir"]')).replaceText(copy);
  await (await s.find('[data-testid="audit-verify"]')).click();
  const failed = await s.waitFind('[data-testid="verify-failed"]');
  assert.equal(await failed.attr('data-code'), 'untrusted_signer');
  assert.match(await failed.text(), /signature valid, signer not trusted/);
  assert.equal(await (await failed.find('[data-testid="verify-signer-fingerprint"]')).text(), fingerprint(other));
  await rig.screenshot('untrusted-signer');

  // The admin compares the fingerprint, names the key and trusts it: the same copy verifies.
  await (await failed.find('[data-testid="verify-import-key"]')).click();
  assert.equal(await (await s.waitFind('[data-testid="trust-fingerprint"]')).text(), fingerprint(other));
  await (await s.find('[data-testid="trust-label"]')).type('Auditor copy');
  await (await s.find('[data-testid="trust-confirm"]')).click();
  const again = await s.waitFind('[data-testid="verify-ok"]');
  assert.equal(await again.attr('data-conclusion'), 'signed_not_anchored');
  await s.waitFind('[data-testid="verify-key-other"]');
  assert.equal(await (await s.find('[data-testid="verify-signer-label"]')).text(), 'Auditor copy');
  const row = await s.waitFind(`[data-testid="trusted-key-row"][data-public-key="${other}"][data-source="imported"]`);
  await rig.screenshot('trusted');

  // Removing it again: the copy fails once more. This installation's key has no Remove.
  assert.equal((await s.findAll(`[data-testid="trusted-key-row"][data-public-key="${own}"] [data-testid="trusted-key-remove"]`)).length, 0);
  assert.equal(await row.attr('data-role'), 'installation');
  await (await s.find(`[data-testid="trusted-key-row"][data-public-key="${other}"] [data-testid="trusted-key-remove"]`)).click();
  await (await s.waitFind('[data-testid="trusted-key-remove-confirm"]')).click();
  await waitFor('the key to be gone', async () => (await s.findAll(`[data-testid="trusted-key-row"][data-public-key="${other}"]`)).length === 0);
  await (await s.find('[data-testid="audit-verify"]')).click();
  const failedAgain = await s.waitFind('[data-testid="verify-failed"]');
  assert.equal(await failedAgain.attr('data-code'), 'untrusted_signer');
}));
