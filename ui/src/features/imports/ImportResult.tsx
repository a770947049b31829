import type { ImportCounts } from '../../api';
import { Clipped, LongText } from '../../components/Clipped';

const SHOWN_RUNS = 10;

/** What an import did: counts, warnings, and ways to the imported runs. */
export function ImportResult({
  fileName,
  counts,
  onOpenRuns,
  onOpenRun,
}: {
  fileName: string;
  counts: ImportCounts;
  onOpenRuns: (backendId: string) => void;
  onOpenRun: (backendId: string, runId: string) => void;
}) {
  const total = counts.run_ids.length;
  return (
    <div
      className="import-result"
      data-testid="import-result"
      data-backend-id={counts.backend_id}
      data-inserted={counts.inserted}
      data-updated={counts.updated}
      data-unchanged={counts.unchanged}
      data-rejected={counts.rejected}
    >
      <p className="note">
        <strong>
          <Clipped text={fileName} expandable />
        </strong>
        : {total} run{total === 1 ? '' : 's'} imported under <code><Clipped text={counts.backend_url} expandable /></code>.
      </p>
      <dl className="kv import-counts">
        <dt>New</dt>
        <dd data-testid="import-inserted">{counts.inserted}</dd>
        <dt>Updated</dt>
        <dd data-testid="import-updated">{counts.updated}</dd>
        <dt>Unchanged</dt>
        <dd data-testid="import-unchanged">{counts.unchanged}</dd>
        <dt>Rejected</dt>
        <dd data-testid="import-rejected" className={counts.rejected > 0 ? 'warn-text' : undefined}>
          {counts.rejected}
          {counts.rejected > 0 ? ' (quarantined: see Backends → quarantine)' : ''}
        </dd>
      </dl>
      {counts.warnings.length > 0 ? (
        <ul className="import-warnings" aria-label="Warnings">
          {counts.warnings.map((w, i) => (
            <li key={i} className="citation-warning" data-testid="import-warning">
              <LongText text={w} />
            </li>
          ))}
        </ul>
      ) : null}
      {total > 0 ? (
        <>
          <ul className="plain-list import-runs">
            {counts.run_ids.slice(0, SHOWN_RUNS).map((id) => (
              <li key={id}>
                <button type="button" className="link-button" data-testid="import-run" data-run-id={id} onClick={() => onOpenRun(counts.backend_id, id)}>
                  <Clipped text={id} max={80} />
                </button>
              </li>
            ))}
            {total > SHOWN_RUNS ? <li className="muted">… and {total - SHOWN_RUNS} more</li> : null}
          </ul>
          <button type="button" className="btn primary" data-testid="import-open-runs" onClick={() => onOpenRuns(counts.backend_id)}>
            Show the imported runs
          </button>
        </>
      ) : null}
    </div>
  );
}
