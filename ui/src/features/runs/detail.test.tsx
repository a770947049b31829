// Server-side renders of the run detail pieces: search marks, "Why this", changes.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { citation, withTerms } from '../../components/testing';
import type { Run } from '../../api';
import { Highlighted } from '../../components/Highlighted';
import { JsonBlock } from '../../components/JsonBlock';
import { SyncProgressView } from '../../components/SyncProgress';
import { Changes } from './Changes';
import { WhyThis } from './WhyThis';

const run: Run = {
  run_id: 'r1',
  revision: 1,
  tenant: 'acme',
  user_id: 'alice',
  workflow: 'support_triage',
  workflow_version: 'v2',
  model: 'm',
  inputs: { body: 'Please REFUND <b>order</b> 42' },
  tool_calls: [],
  citations: [citation, { ...citation, doc_id: 'kb_7', deprecated: true }],
  outputs: null,
  confidence: 0.42,
  cost_micros: 4200,
  tokens: { input: 1, output: 2 },
  latency_ms: 5,
  outcome: 'escalated',
  decision: 'escalated_to_human',
  rationale: 'Refund over limit',
  policy_checks: [
    { name: 'pii', passed: true },
    { name: 'refund_limit', passed: false, detail: 'amount 120.00 exceeds 50.00' },
  ],
  changes: [],
  started_at: '2026-11-25T15:00:00Z',
  updated_at: '2026-11-25T15:00:00Z',
};

describe('Highlighted', () => {
  it('wraps matches in <mark> and escapes everything', () => {
    const html = renderToStaticMarkup(<Highlighted text={'<img src=x> Refund refund'} terms={['refund', 'img']} />);
    expect(html).toBe(
      '&lt;<mark class="search-hit" data-testid="search-hit">img</mark> src=x&gt; <mark class="search-hit" data-testid="search-hit">Refund</mark> <mark class="search-hit" data-testid="search-hit">refund</mark>',
    );
  });

  it('still shows hidden characters inside a match as markers', () => {
    const html = renderToStaticMarkup(<Highlighted text={'re\u202Efund'} terms={['re']} />);
    expect(html).toContain('⟦U+202E⟧');
    expect(html).not.toContain('\u202E');
  });

  it('marks words in JSON blocks from the context', () => {
    const html = withTerms(['refund'], <JsonBlock value={{ body: 'Please REFUND <b>' }} />);
    expect(html).toContain('<mark class="search-hit" data-testid="search-hit">REFUND</mark>');
    expect(html).toContain('&lt;b&gt;');
  });

  it('collapses long blocks unless the hidden part matches', () => {
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i === 35 ? 'needle' : 'hay']));
    expect(withTerms([], <JsonBlock value={big} collapsible />)).toContain('data-testid="json-expand"');
    const open = withTerms(['needle'], <JsonBlock value={big} collapsible />);
    expect(open).not.toContain('data-testid="json-expand"');
    expect(open).toContain('>needle</mark>');
  });
});

describe('WhyThis', () => {
  it('shows decision, low confidence, failed rules, inputs and passages', () => {
    const html = withTerms(['refund'], <WhyThis run={run} />);
    expect(html).toContain('data-testid="why-this"');
    expect(html).toContain('escalated_to_human');
    expect(html).toContain('42.0% (low)');
    expect(html).toContain('refund_limit');
    expect(html).toContain('amount 120.00 exceeds 50.00');
    expect(html).not.toMatch(/<code>pii<\/code>/);
    expect(html).toContain('>REFUND</mark>');
    expect(html).toContain('within 14 days');
  });
});

describe('Changes', () => {
  it('links a change to its linked action', () => {
    const html = withTerms(
      [],
      <Changes
        changes={[{ system: 'billing', record_id: 'o1', field: 'amount', before: null, after: '1.00', action_id: 'a1' }]}
        linkedActionIds={['a1']}
      />,
    );
    expect(html).toContain('data-testid="change-action-link"');
  });
});

describe('SyncProgressView', () => {
  it('has a progress indicator and the cancel button', () => {
    const html = renderToStaticMarkup(<SyncProgressView running={['Prod']} cancelling={false} onCancel={() => {}} />);
    expect(html).toContain('<progress');
    expect(html).toContain('data-testid="sync-cancel"');
    expect(html).toContain('Syncing<span> Prod</span>');
  });
});
