import { useState } from 'react';
import { prettyJson } from '../lib/json';
import { hasMatch } from '../lib/searchHighlight';
import { Highlighted, useSearchTerms } from './Highlighted';

/** Blocks longer than this many lines start collapsed when `collapsible`. */
export const COLLAPSE_LINES = 20;

/**
 * Pretty-printed JSON as text in a <pre>, with the current search words marked. Large blocks
 * can start collapsed to their first lines (they open by themselves when a hidden part matches).
 */
export function JsonBlock({ value, label, collapsible = false }: { value: unknown; label?: string; collapsible?: boolean }) {
  const terms = useSearchTerms();
  const text = prettyJson(value);
  const lines = collapsible ? text.split('\n') : [];
  const long = collapsible && lines.length > COLLAPSE_LINES;
  const rest = long ? lines.slice(COLLAPSE_LINES).join('\n') : '';
  const [open, setOpen] = useState(() => !long || (terms.length > 0 && hasMatch(rest, terms)));
  if (!long || open) {
    return (
      <div className="json-wrap">
        <pre className="json" aria-label={label}>
          <Highlighted text={text} />
        </pre>
        {long ? (
          <button type="button" className="link-button small" data-testid="json-collapse" onClick={() => setOpen(false)}>
            Collapse
          </button>
        ) : null}
      </div>
    );
  }
  return (
    <div className="json-wrap">
      <pre className="json" aria-label={label}>
        <Highlighted text={lines.slice(0, COLLAPSE_LINES).join('\n')} />
        {'\n…'}
      </pre>
      <button type="button" className="link-button small" data-testid="json-expand" onClick={() => setOpen(true)}>
        Show all {lines.length} lines ({text.length.toLocaleString()} characters)
      </button>
    </div>
  );
}
