import { createContext, useContext } from 'react';
import { highlightSegments } from '../lib/searchHighlight';
import { SafeText } from './SafeText';

/** Search words to mark in run text (set by the run detail from the list's search). */
export const SearchTermsContext = createContext<readonly string[]>([]);

export function useSearchTerms(): readonly string[] {
  return useContext(SearchTermsContext);
}

/**
 * Untrusted text with the current search words wrapped in <mark>. Every piece goes through
 * SafeText (React text, hidden characters made visible); nothing is parsed as markup.
 */
export function Highlighted({ text, terms }: { text: string | null | undefined; terms?: readonly string[] }) {
  const ctx = useSearchTerms();
  const words = terms ?? ctx;
  if (text === null || text === undefined) return null;
  if (words.length === 0) return <SafeText text={text} />;
  const segs = highlightSegments(String(text), words);
  return (
    <>
      {segs.map((s, i) =>
        s.match ? (
          <mark key={i} className="search-hit" data-testid="search-hit">
            <SafeText text={s.text} />
          </mark>
        ) : (
          <SafeText key={i} text={s.text} />
        ),
      )}
    </>
  );
}
