// Locates a citation's passage inside its context. Offsets are Unicode scalar values, so the
// context is split with Array.from (code points), never indexed as UTF-16.

export interface CitationLike {
  passage: string;
  start: number;
  end: number;
  context: string;
  context_start: number;
}

export interface HighlightParts {
  /** Whether the span lies inside the context. When false, `before` holds the whole context. */
  found: boolean;
  before: string;
  passage: string;
  after: string;
  /** Whether the highlighted text equals the quoted passage exactly. */
  matchesPassage: boolean;
}

/** The passage's span within `context`, in code points, or null when it lies outside. */
export function spanInContext(c: CitationLike): [number, number] | null {
  const ints = [c.start, c.end, c.context_start].every((n) => Number.isInteger(n) && n >= 0);
  if (!ints) return null;
  const s = c.start - c.context_start;
  const e = c.end - c.context_start;
  const len = Array.from(c.context).length;
  if (s < 0 || e < 0 || s > e || e > len) return null;
  return [s, e];
}

export function highlightParts(c: CitationLike): HighlightParts {
  const span = spanInContext(c);
  if (!span) {
    return { found: false, before: c.context, passage: '', after: '', matchesPassage: false };
  }
  const chars = Array.from(c.context);
  const [s, e] = span;
  const passage = chars.slice(s, e).join('');
  return {
    found: true,
    before: chars.slice(0, s).join(''),
    passage,
    after: chars.slice(e).join(''),
    matchesPassage: passage === c.passage,
  };
}
