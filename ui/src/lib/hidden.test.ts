import { describe, expect, it } from 'vitest';
import { DISPLAY_CONTROLS, INVISIBLE_OR_BIDI } from '../api/generated/constants';
import { hasHiddenCharacters, revealHidden, segmentHidden, shouldMark } from './hidden';

describe('segmentHidden', () => {
  it('leaves ordinary text alone', () => {
    expect(segmentHidden('Refund €12.50 to EU 🎉')).toEqual([
      { kind: 'text', text: 'Refund €12.50 to EU 🎉' },
    ]);
    expect(segmentHidden('')).toEqual([]);
  });

  it('turns a bidi override into a visible marker', () => {
    expect(segmentHidden('\u202Edlrow')).toEqual([
      { kind: 'hidden', codePoint: 0x202e, label: 'U+202E', marker: '⟦U+202E⟧' },
      { kind: 'text', text: 'dlrow' },
    ]);
  });

  it('marks zero-width characters between text', () => {
    const segs = segmentHidden('E\u200BU');
    expect(segs.map((s) => s.kind)).toEqual(['text', 'hidden', 'text']);
    expect(revealHidden('E\u200BU')).toBe('E⟦U+200B⟧U');
  });

  it('marks every listed bidi/zero-width character', () => {
    for (const cp of [0x200b, 0x200f, 0x202a, 0x202e, 0x2060, 0x2064, 0x2066, 0x2069, 0xfeff, 0x061c, 0x180e]) {
      expect(hasHiddenCharacters(`a${String.fromCodePoint(cp)}b`)).toBe(true);
    }
  });

  it('marks raw control characters but keeps tab and newline', () => {
    expect(revealHidden('a\u0000b\u001bc')).toBe('a⟦U+0000⟧b⟦U+001B⟧c');
    expect(revealHidden('line1\n\tline2\r\n')).toBe('line1\n\tline2\r\n');
    expect(revealHidden('a\u2028b')).toBe('a⟦U+2028⟧b');
  });

  it('keeps emoji and other non-BMP characters whole', () => {
    expect(revealHidden('🎉\u202E👍')).toBe('🎉⟦U+202E⟧👍');
    // A zero-width joiner is marked even inside an emoji sequence: safety over looks.
    expect(revealHidden('👩\u200D💻')).toBe('👩⟦U+200D⟧💻');
    expect(hasHiddenCharacters('EU')).toBe(false);
  });
});

describe('the marked set is the Rust one', () => {
  it('finds text to mark exactly where a character-by-character check does', () => {
    const probes = [0x00, 0x09, 0x0a, 0x1f, 0x20, 0x7e, 0x7f, 0x9f, 0xa0, 0xad, 0x200a, 0x200b, 0x2027, 0x2028, 0x202f, 0xfeff, 0xffef, 0xfff0, 0x1bca0, 0x1f389, 0xe0000, 0xe1000];
    for (const [lo, hi] of [...INVISIBLE_OR_BIDI, ...DISPLAY_CONTROLS]) probes.push(lo - 1, lo, hi, hi + 1);
    for (const cp of probes.filter((c) => c >= 0 && c <= 0x10ffff)) {
      const text = `ab${String.fromCodePoint(cp)}cd`;
      expect(hasHiddenCharacters(text), `U+${cp.toString(16)}`).toBe(shouldMark(cp));
    }
    // A lone surrogate is marked; the same surrogate paired into one character is not.
    expect(hasHiddenCharacters('a\ud83cb')).toBe(true);
    expect(hasHiddenCharacters('a\udf89')).toBe(true);
    expect(hasHiddenCharacters('a\ud83c\udf89b')).toBe(false);
    expect(revealHidden('a\ud83cb')).toBe('a⟦U+D83C⟧b');
  });

  it('marks both ends of every generated range and nothing just outside', () => {
    for (const [lo, hi] of [...INVISIBLE_OR_BIDI, ...DISPLAY_CONTROLS]) {
      expect(shouldMark(lo)).toBe(true);
      expect(shouldMark(hi)).toBe(true);
    }
    expect(shouldMark(0x09)).toBe(false);
    expect(shouldMark(0x0a)).toBe(false);
    expect(shouldMark(0x20)).toBe(false);
    expect(shouldMark(0x41)).toBe(false);
  });
});
