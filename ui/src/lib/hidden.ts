// Characters that can hide or reorder what a field appears to say (bidi controls, zero-width
// characters) and raw control characters. They are shown as visible markers like ⟦U+202E⟧.
// Which characters: the Rust rule's ranges (`text::INVISIBLE_OR_BIDI`, `text::DISPLAY_CONTROLS`),
// generated into api/generated/constants.ts.
import { DISPLAY_CONTROLS, INVISIBLE_OR_BIDI } from '../api/generated/constants';

function inRanges(ranges: readonly (readonly [number, number])[], cp: number): boolean {
  return ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
}

export function isInvisibleOrBidi(cp: number): boolean {
  return inRanges(INVISIBLE_OR_BIDI, cp);
}

/** C0/C1 control characters other than tab, newline and carriage return; also U+2028/U+2029. */
export function isDisplayControl(cp: number): boolean {
  return inRanges(DISPLAY_CONTROLS, cp);
}

/** Lone UTF-16 surrogates (malformed text, which only JavaScript strings can hold) are flagged too. */
function isLoneSurrogate(cp: number): boolean {
  return cp >= 0xd800 && cp <= 0xdfff;
}

export function shouldMark(cp: number): boolean {
  return isInvisibleOrBidi(cp) || isDisplayControl(cp) || isLoneSurrogate(cp);
}

export function codePointLabel(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

const hex = (cp: number) => `\\u{${cp.toString(16)}}`;
/**
 * Matches any character `shouldMark` flags (the same ranges, and a lone surrogate, which a
 * `u`-flag class matches only when unpaired): most text has none, and one regex test tells so
 * faster than a range lookup per character.
 */
const MARKED = new RegExp(
  `[${[...INVISIBLE_OR_BIDI, ...DISPLAY_CONTROLS, [0xd800, 0xdfff] as const].map(([lo, hi]) => `${hex(lo)}-${hex(hi)}`).join('')}]`,
  'u',
);

export type TextSegment =
  | { kind: 'text'; text: string }
  | { kind: 'hidden'; codePoint: number; label: string; marker: string };

/** Splits untrusted text into plain runs and visible markers for hidden characters. */
export function segmentHidden(text: string): TextSegment[] {
  if (!hasHiddenCharacters(text)) return text ? [{ kind: 'text', text }] : [];
  const out: TextSegment[] = [];
  let buf = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (shouldMark(cp)) {
      if (buf) out.push({ kind: 'text', text: buf });
      buf = '';
      const label = codePointLabel(cp);
      out.push({ kind: 'hidden', codePoint: cp, label, marker: `⟦${label}⟧` });
    } else {
      buf += ch;
    }
  }
  if (buf) out.push({ kind: 'text', text: buf });
  return out;
}

/** Plain-text rendering with markers inline (for titles, exports, tests). */
export function revealHidden(text: string): string {
  return segmentHidden(text)
    .map((s) => (s.kind === 'text' ? s.text : s.marker))
    .join('');
}

/** Whether `text` holds any character `shouldMark` flags. */
export function hasHiddenCharacters(text: string): boolean {
  return MARKED.test(text);
}
