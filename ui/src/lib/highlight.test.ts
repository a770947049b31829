import { describe, expect, it } from 'vitest';
import { highlightParts, spanInContext } from './highlight';

const base = {
  passage: 'within 14 days',
  start: 37,
  end: 51,
  context: 'Customers may request a refund within 14 days of delivery.',
  context_start: 6,
};

describe('highlightParts', () => {
  it('lands on the passage (Rust core example)', () => {
    const p = highlightParts(base);
    expect(p).toEqual({
      found: true,
      before: 'Customers may request a refund ',
      passage: 'within 14 days',
      after: ' of delivery.',
      matchesPassage: true,
    });
  });

  it('counts emoji before the passage as one character each', () => {
    // 🎉 and 👍 are outside the BMP: two UTF-16 units but one Unicode scalar value each.
    const context = '🎉👍 Refunds: within 14 days of delivery.';
    const start = 100 + Array.from('🎉👍 Refunds: ').length; // 13, while .length would be 15
    const c = { passage: 'within 14 days', start, end: start + 14, context, context_start: 100 };
    const p = highlightParts(c);
    expect(p.found).toBe(true);
    expect(p.before).toBe('🎉👍 Refunds: ');
    expect(p.passage).toBe('within 14 days');
    expect(p.after).toBe(' of delivery.');
    expect(p.matchesPassage).toBe(true);
  });

  it('highlights a passage made of non-BMP characters', () => {
    const c = { passage: '𝔘𝔫𝔦', start: 2, end: 5, context: 'a 𝔘𝔫𝔦 b', context_start: 0 };
    expect(highlightParts(c)).toMatchObject({ before: 'a ', passage: '𝔘𝔫𝔦', after: ' b' });
  });

  it('reports a mismatch between span and quoted passage', () => {
    const p = highlightParts({ ...base, passage: 'within 30 days' });
    expect(p.found).toBe(true);
    expect(p.matchesPassage).toBe(false);
  });

  it('handles spans at the edges and empty spans', () => {
    expect(highlightParts({ passage: 'ab', start: 0, end: 2, context: 'abc', context_start: 0 })).toMatchObject({
      before: '',
      passage: 'ab',
      after: 'c',
    });
    expect(highlightParts({ passage: '', start: 3, end: 3, context: 'abc', context_start: 0 })).toMatchObject({
      found: true,
      before: 'abc',
      passage: '',
    });
  });

  it('refuses spans outside the context', () => {
    expect(spanInContext({ ...base, context_start: 40 })).toBeNull(); // start before context
    expect(spanInContext({ ...base, end: 500 })).toBeNull(); // past the end
    expect(spanInContext({ ...base, start: 52, end: 51 })).toBeNull(); // reversed
    const p = highlightParts({ ...base, end: 500 });
    expect(p.found).toBe(false);
    expect(p.before).toBe(base.context);
  });
});
