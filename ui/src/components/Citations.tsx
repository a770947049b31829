import type { Citation } from '../api';
import { ExternalLink } from './ExternalLink';
import { Highlighted } from './Highlighted';
import { SafeText } from './SafeText';
import { TimeText } from './TimeText';
import { highlightParts } from '../lib/highlight';
import { parseTime } from '../lib/time';
import type { CitationOpener } from '../lib/citationOpen';

/** A source updated longer ago than this is flagged as possibly stale. */
export const STALE_AFTER_DAYS = 180;

/** Days since the source was updated, when that is more than STALE_AFTER_DAYS (else null). */
export function staleDays(c: Citation, now: Date): number | null {
  const t = parseTime(c.source_updated_at ?? null);
  if (!t) return null;
  const days = Math.floor((now.getTime() - t.getTime()) / 86_400_000);
  return days > STALE_AFTER_DAYS ? days : null;
}

/**
 * The run's citations, each with its cited span marked and stale or deprecated sources flagged.
 * `onOpen` is told when the reviewer opens a source (the trust view counts it).
 */
export function Citations({ citations, onOpen }: { citations: Citation[]; onOpen?: CitationOpener }) {
  if (citations.length === 0) return <p className="muted">No citations.</p>;
  const now = new Date();
  return (
    <ul className="citations">
      {citations.map((c, i) => {
        const parts = highlightParts(c);
        const stale = staleDays(c, now);
        return (
          <li
            key={`${c.doc_id}-${i}`}
            id={`citation-${i}`}
            className={`card citation${c.deprecated || stale !== null ? ' warned' : ''}`}
            data-testid="citation"
            data-doc-id={c.doc_id}
          >
            <header className="card-head">
              <h3>
                <SafeText text={c.title} />
              </h3>
              <code className="muted">
                <SafeText text={c.doc_id} />
              </code>
              {c.source_version ? (
                <span className="tag">
                  version <SafeText text={c.source_version} />
                </span>
              ) : null}
            </header>
            {c.deprecated || stale !== null ? (
              <p className="citation-warning" data-testid="citation-warning" role="note">
                <span aria-hidden="true">⚠ </span>
                {c.deprecated ? <span className="badge fail">deprecated source</span> : null}
                {stale !== null ? (
                  <span className="badge warn" title={`Older than ${STALE_AFTER_DAYS} days`}>
                    stale: updated {stale} days ago
                  </span>
                ) : null}{' '}
                {c.deprecated
                  ? 'This source is marked deprecated: the answer may rest on outdated policy.'
                  : `This source was last updated more than ${STALE_AFTER_DAYS} days ago.`}
              </p>
            ) : null}
            <div className="muted small">
              Updated {c.source_updated_at ? <TimeText value={c.source_updated_at} /> : 'unknown'}
              {c.call_id ? (
                <>
                  {' '}
                  · via call <code><SafeText text={c.call_id} /></code>
                </>
              ) : null}
              {' '}· chars {c.start}–{c.end}
            </div>
            <blockquote className="context">
              {parts.found ? (
                <>
                  <Highlighted text={parts.before} />
                  <mark data-testid="citation-passage" className="passage">
                    <Highlighted text={parts.passage} />
                  </mark>
                  <Highlighted text={parts.after} />
                </>
              ) : (
                <Highlighted text={c.context} />
              )}
            </blockquote>
            {!parts.found ? (
              <p className="warn-text small">
                The cited span ({c.start}–{c.end}) is not inside the stored context; quoted passage: “
                <SafeText text={c.passage} />”
              </p>
            ) : !parts.matchesPassage ? (
              <p className="warn-text small">
                The highlighted text differs from the quoted passage: “<SafeText text={c.passage} />”
              </p>
            ) : null}
            {c.url ? (
              <div className="small">
                Open source: <ExternalLink url={c.url} onOpen={onOpen ? () => onOpen(c.doc_id, 'source') : undefined} />
              </div>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}
