import type { KindSource } from '../../api';

/** The note shown for each kind source, or null where the kind is said outright. */
export function kindSourceNote(source: KindSource | undefined): { text: string; tone: 'warn' | 'quiet' } | null {
  switch (source) {
    case 'fallback':
      return { text: 'kind guessed as text — an admin can set it in the Backends view', tone: 'warn' };
    case 'inferred':
      return { text: 'kind inferred from the argument name', tone: 'quiet' };
    default:
      return null;
  }
}

/**
 * Next to a review field's kind hint: whether the kind was only guessed (a fallback to text,
 * which the admin should correct in the Backends view) or inferred from the argument's name.
 * Declared, schema and config kinds need no note.
 */
export function KindSourceNote({ source }: { source: KindSource | undefined }) {
  const note = kindSourceNote(source);
  if (!note) return null;
  return (
    <div
      className={note.tone === 'warn' ? 'kind-note warn-text small' : 'kind-note muted small'}
      data-testid="kind-source-note"
      data-source={source}
    >
      {note.text}
    </div>
  );
}
