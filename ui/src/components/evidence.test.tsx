// Server-side renders of the run evidence shown in run detail and review: citation warnings and
// search marks, and which trace calls start open.
import { describe, expect, it } from 'vitest';
import { citation, withTerms } from './testing';
import { Citations } from './Citations';
import { TraceView } from './TraceView';

describe('Citations', () => {
  it('marks the exact span and search words, and warns about deprecated sources', () => {
    const html = withTerms(['refund'], <Citations citations={[citation, { ...citation, doc_id: 'kb_7', deprecated: true }]} />);
    expect(html).toMatch(/<mark data-testid="citation-passage" class="passage">within 14 days<\/mark>/);
    expect(html).toContain('<mark class="search-hit" data-testid="search-hit">refund</mark>');
    expect(html.match(/data-testid="citation-warning"/g)?.length).toBe(1);
    expect(html).toContain('deprecated source');
  });
});

describe('TraceView', () => {
  it('opens calls that match the search in a long trace', () => {
    const calls = Array.from({ length: 20 }, (_, i) => ({
      call_id: `c${i}`,
      tool: 'kb_search',
      arguments: { q: i === 7 ? 'refund policy' : 'other' },
      started_at: '2026-11-25T15:00:00Z',
      ended_at: '2026-11-25T15:00:01Z',
      cost_micros: 0,
      documents: [],
    }));
    const html = withTerms(['refund'], <TraceView calls={calls} />);
    expect(html.match(/<details open="">/g)?.length).toBe(1);
  });
});
