// Records that the reviewer opened a cited passage or its source, for the trust view's
// "citations opened before deciding". Best effort: a failed record never blocks the opening.
import { recordCitationOpen } from '../api';
import type { CitationTarget } from '../api/types';

/** Called with the cited document and what was opened. */
export type CitationOpener = (docId: string, target: CitationTarget) => void;

/** An opener for the citations of run `runId` (and the action under review, if one). */
export function citationOpener(backendId: string, runId: string, actionId: string | null = null): CitationOpener {
  return (docId, target) => {
    recordCitationOpen(backendId, runId, actionId, docId, target).catch(() => {
      // Not counted; the citation still opens.
    });
  };
}
