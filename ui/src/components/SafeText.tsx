import { segmentHidden } from '../lib/hidden';

/**
 * Renders untrusted text as React text. Bidi overrides, zero-width and control characters are
 * replaced by visible markers (⟦U+202E⟧) so they cannot disguise what a field says.
 */
export function SafeText({ text }: { text: string | null | undefined }) {
  if (text === null || text === undefined) return null;
  const segs = segmentHidden(String(text));
  return (
    <>
      {segs.map((s, i) =>
        s.kind === 'text' ? (
          s.text
        ) : (
          <span
            key={i}
            className="hidden-char"
            title={`Hidden character ${s.label} (bidi/zero-width/control) shown visibly`}
          >
            {s.marker}
          </span>
        ),
      )}
    </>
  );
}
