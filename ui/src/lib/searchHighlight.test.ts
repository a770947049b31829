import { describe, expect, it } from 'vitest';
import { hasMatch, highlightSegments, searchTerms } from './searchHighlight';

const marked = (text: string, q: string) =>
  highlightSegments(text, searchTerms(q))
    .map((s) => (s.match ? `[${s.text}]` : s.text))
    .join('');

describe('searchTerms', () => {
  it('splits like the store query: punctuation separates, case folds, duplicates go', () => {
    expect(searchTerms('Refund  refund-policy "EU"')).toEqual(['refund', 'policy', 'eu']);
    expect(searchTerms('kb_102')).toEqual(['kb_102']);
    expect(searchTerms('  ')).toEqual([]);
    expect(searchTerms(null)).toEqual([]);
  });
});

describe('highlightSegments', () => {
  it('marks every occurrence case-insensitively, keeping the original case', () => {
    expect(marked('Refund the REFUND, refunded.', 'refund')).toBe('[Refund] the [REFUND], [refund]ed.');
  });

  it('marks several words and merges overlaps', () => {
    expect(marked('Customer asked for a refund within 14 days', 'refund 14 days')).toBe(
      'Customer asked for a [refund] within [14] [days]',
    );
    expect(marked('abcdef', 'abc cde')).toBe('[abcde]f');
  });

  it('keeps non-BMP characters whole', () => {
    expect(marked('🎉 Refund 🎉', 'refund')).toBe('🎉 [Refund] 🎉');
    expect(marked('a 𝔘𝔫𝔦 b', '𝔘𝔫')).toBe('a [𝔘𝔫]𝔦 b');
    const segs = highlightSegments('x😀y😀', ['y']);
    expect(segs).toEqual([
      { text: 'x😀', match: false },
      { text: 'y', match: true },
      { text: '😀', match: false },
    ]);
  });

  it('maps back correctly when lower-casing changes length', () => {
    // 'İ'.toLowerCase() is two UTF-16 units ('i' + combining dot).
    expect(marked('İstanbul refund', 'refund')).toBe('İstanbul [refund]');
    expect(marked('ÉCOLE école', 'école')).toBe('[ÉCOLE] [école]');
  });

  it('returns the text unmarked with no terms or no match, and nothing for empty text', () => {
    expect(highlightSegments('abc', [])).toEqual([{ text: 'abc', match: false }]);
    expect(highlightSegments('abc', ['zzz'])).toEqual([{ text: 'abc', match: false }]);
    expect(highlightSegments('', ['a'])).toEqual([]);
    expect(hasMatch('Refund', ['refund'])).toBe(true);
  });

  it('treats markup in text and terms as plain characters', () => {
    expect(marked('<b>refund</b>', '<b>')).toBe('<[b]>refund</[b]>');
  });
});
