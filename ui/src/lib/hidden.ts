// Characters that can hide or reorder what a field appears to say (bidi controls, zero-width
// characters) and raw control characters. They are shown as visible markers like ⟦U+202E⟧.
// The bidi/zero-width set matches `is_invisible_or_bidi` in crates/core/src/text.rs.

export function isInvisibleOrBidi(cp: number): boolean {
  return (
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x2064) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0xfeff ||
    cp === 0x061c ||
    cp === 0x180e
  );
}

/** C0/C1 control characters other than tab, newline and carriage return; also U+2028/U+2029. */
export function isDisplayControl(cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029;
}

/** Lone UTF-16 surrogates (malformed text) are flagged too. */
function isLoneSurrogate(cp: number): boolean {
  return cp >= 0xd800 && cp <= 0xdfff;
}

export function shouldMark(cp: number): boolean {
  return isInvisibleOrBidi(cp) || isDisplayControl(cp) || isLoneSurrogate(cp);
}

export function codePointLabel(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

export type TextSegment =
  | { kind: 'text'; text: string }
  | { kind: 'hidden'; codePoint: number; label: string; marker: string };

/** Splits untrusted text into plain runs and visible markers for hidden characters. */
export function segmentHidden(text: string): TextSegment[] {
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

export function hasHiddenCharacters(text: string): boolean {
  for (const ch of text) {
    if (shouldMark(ch.codePointAt(0) ?? 0)) return true;
  }
  return false;
}
