// Search words and where they occur in a text, for <mark> highlighting. Works on strings only:
// the caller renders the segments as React text (never innerHTML).

/**
 * The words of a search, split the way the store's full-text query splits them: on anything
 * that is not a letter, digit or underscore. Lower-cased, de-duplicated, longest first.
 */
export function searchTerms(query: string | null | undefined): string[] {
  if (!query) return [];
  const words = query
    .split(/[^\p{L}\p{N}\p{M}_]+/u)
    .map((w) => w.toLowerCase())
    .filter((w) => w.length > 0);
  return [...new Set(words)].sort((a, b) => b.length - a.length);
}

export interface Segment {
  text: string;
  match: boolean;
}

/**
 * Splits `text` into runs that match one of `terms` (case-insensitive) and runs that do not.
 * Match boundaries always fall between whole code points of the original text, also when
 * lower-casing changes a character's length (e.g. "İ") or the text has non-BMP characters.
 */
export function highlightSegments(text: string, terms: readonly string[]): Segment[] {
  if (text === '') return [];
  const needles = [...new Set(terms.map((t) => t.toLowerCase()).filter((t) => t.length > 0))];
  if (needles.length === 0) return [{ text, match: false }];

  // Lower-case per code point, remembering which original code point each lowered unit came from.
  const chars = Array.from(text);
  const starts: number[] = []; // UTF-16 offset of each original code point
  let lowered = '';
  const owner: number[] = []; // lowered UTF-16 unit -> original code point index
  let off = 0;
  chars.forEach((ch, i) => {
    starts.push(off);
    off += ch.length;
    const lo = ch.toLowerCase();
    lowered += lo;
    for (let k = 0; k < lo.length; k++) owner.push(i);
  });

  // Mark matched original code points.
  const hit = new Uint8Array(chars.length);
  let any = false;
  for (const n of needles) {
    let from = 0;
    for (;;) {
      const at = lowered.indexOf(n, from);
      if (at < 0) break;
      const first = owner[at] ?? 0;
      const last = owner[at + n.length - 1] ?? first;
      for (let i = first; i <= last; i++) hit[i] = 1;
      any = true;
      from = at + Math.max(1, n.length);
    }
  }
  if (!any) return [{ text, match: false }];

  const out: Segment[] = [];
  let cur = '';
  let curMatch = hit[0] === 1;
  chars.forEach((ch, i) => {
    const m = hit[i] === 1;
    if (m !== curMatch && cur !== '') {
      out.push({ text: cur, match: curMatch });
      cur = '';
    }
    curMatch = m;
    cur += ch;
  });
  if (cur !== '') out.push({ text: cur, match: curMatch });
  return out;
}

/** True when any term occurs in `text` (case-insensitive). */
export function hasMatch(text: string, terms: readonly string[]): boolean {
  return highlightSegments(text, terms).some((s) => s.match);
}
