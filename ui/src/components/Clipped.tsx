import { useState, type MouseEvent } from 'react';
import { BLOCK_MAX, INLINE_MAX, clip, codePointLength, isClipped, optionLabel, titleText } from '../lib/clip';
import { SafeText } from './SafeText';

/** "show all" / "show less" for text cut for layout; never lets the click reach a clickable row. */
function ShowAllToggle({ expanded, length, onToggle }: { expanded: boolean; length: number; onToggle: () => void }) {
  return (
    <button
      type="button"
      className="link-button small clip-toggle"
      data-testid="clip-toggle"
      aria-expanded={expanded}
      onClick={(e: MouseEvent) => {
        e.stopPropagation();
        onToggle();
      }}
      onKeyDown={(e) => e.stopPropagation()}
    >
      {expanded ? 'show less' : `show all ${length.toLocaleString('en-US')} characters`}
    </button>
  );
}

/**
 * A one-line piece of backend text (a name, a workflow, a model, a user) that keeps its layout
 * however long it is: at most `max` characters reach the page, CSS ends it with an ellipsis
 * where the space runs out, and the full text is in the `title` (hidden characters spelled
 * out). With `expandable`, text longer than `max` also gets a "show all" toggle; leave it off in
 * fixed-height rows (the run table) whose full text is a click away.
 */
export function Clipped({
  text,
  max = INLINE_MAX,
  expandable = false,
  className,
  testId,
}: {
  text: string | null | undefined;
  max?: number;
  expandable?: boolean;
  className?: string;
  testId?: string;
}) {
  const [expanded, setExpanded] = useState(false);
  if (text === null || text === undefined) return null;
  const s = String(text);
  const cut = isClipped(s, max);
  const cls = `clipped${className ? ` ${className}` : ''}`;
  if (expanded) {
    return (
      <span className="clipped-full" data-testid={testId} data-clipped="false">
        <SafeText text={s} /> <ShowAllToggle expanded length={codePointLength(s)} onToggle={() => setExpanded(false)} />
      </span>
    );
  }
  return (
    <>
      <span className={cls} title={titleText(s)} data-testid={testId} data-clipped={cut ? 'true' : undefined}>
        <SafeText text={cut ? clip(s, max) : s} />
      </span>
      {cut && expandable ? <ShowAllToggle expanded={false} length={codePointLength(s)} onToggle={() => setExpanded(true)} /> : null}
    </>
  );
}

/**
 * A block of backend text (a rationale, an error, a warning) that may run to many lines: the
 * first `max` characters, wrapped, with a "show all" toggle for the rest.
 */
export function LongText({ text, max = BLOCK_MAX }: { text: string | null | undefined; max?: number }) {
  const [expanded, setExpanded] = useState(false);
  if (text === null || text === undefined) return null;
  const s = String(text);
  const cut = isClipped(s, max);
  return (
    <span className="long-text" data-clipped={cut && !expanded ? 'true' : undefined}>
      <SafeText text={cut && !expanded ? clip(s, max) : s} />
      {cut ? (
        <>
          {' '}
          <ShowAllToggle expanded={expanded} length={codePointLength(s)} onToggle={() => setExpanded(!expanded)} />
        </>
      ) : null}
    </span>
  );
}

/**
 * An `<option>` for a backend value: the full value as its value (and title), its visible text
 * clipped (hidden characters spelled out) so a long value cannot widen the select.
 */
export function ClippedOption({ value, label }: { value: string; label?: string }) {
  const shown = label ?? value;
  return (
    <option value={value} title={titleText(shown)}>
      {optionLabel(shown)}
    </option>
  );
}
