import { useState } from 'react';
import type { FailureBucket, FailureItem } from '../../api/types';
import { FAILURE_BUCKETS } from '../../api/types';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { BUCKET_LABELS } from './buckets';

/** The bucket an operator would set: theirs once reviewed, else the suggestion. */
export function effectiveBucket(it: FailureItem): FailureBucket {
  return it.bucket ?? it.suggested;
}

function BucketPicker({ item, onSet }: { item: FailureItem; onSet: (b: FailureBucket) => Promise<void> }) {
  const [choice, setChoice] = useState<FailureBucket>(effectiveBucket(item));
  const [busy, setBusy] = useState(false);
  const same = item.bucket !== null && choice === item.bucket;
  const verb = choice === effectiveBucket(item) ? 'Confirm' : 'Change';
  return (
    <div className="bucket-picker">
      <select
        aria-label={`Bucket for ${item.run_id}`}
        data-testid="failure-bucket-select"
        value={choice}
        onChange={(e) => setChoice(e.target.value as FailureBucket)}
      >
        {FAILURE_BUCKETS.map((b) => (
          <option key={b} value={b}>
            {BUCKET_LABELS[b]}
            {b === item.suggested ? ' (suggested)' : ''}
          </option>
        ))}
      </select>
      <button
        type="button"
        data-testid="failure-bucket-set"
        disabled={busy || same}
        onClick={() => {
          setBusy(true);
          onSet(choice).finally(() => setBusy(false));
        }}
      >
        {verb}
      </button>
    </div>
  );
}

/** The week's runs to review, each with its suggestion, the evidence and confirm/change. */
export function FailureTable({
  items,
  onSet,
  onOpenRun,
}: {
  items: FailureItem[];
  onSet: (it: FailureItem, b: FailureBucket) => Promise<void>;
  onOpenRun: (backendId: string, runId: string) => void;
}) {
  if (items.length === 0) return <p className="muted" data-testid="failure-empty">No runs to review in this week.</p>;
  return (
    <table className="data failure-table" data-testid="failure-table">
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Workflow</th>
          <th scope="col">Outcome</th>
          <th scope="col">Started</th>
          <th scope="col">Suggested, and why</th>
          <th scope="col">Bucket</th>
        </tr>
      </thead>
      <tbody>
        {items.map((it) => (
          <tr key={`${it.backend_id}/${it.run_id}`} data-testid="failure-row" data-run-id={it.run_id} data-bucket={effectiveBucket(it)}>
            <td>
              <button type="button" className="link" onClick={() => onOpenRun(it.backend_id, it.run_id)}>
                <SafeText text={it.run_id} />
              </button>
            </td>
            <td>
              <SafeText text={it.workflow} />
            </td>
            <td>
              <SafeText text={it.outcome} />
            </td>
            <td>
              <TimeText value={it.started_at} compact />
            </td>
            <td>
              <span className="badge" data-testid="failure-suggested">
                {BUCKET_LABELS[it.suggested]}
              </span>
              {it.evidence.length === 0 ? (
                <div className="muted">No rule fired.</div>
              ) : (
                <ul className="evidence" data-testid="failure-evidence">
                  {it.evidence.map((e, i) => (
                    <li key={i} className={e.bucket === it.suggested ? '' : 'muted'}>
                      {e.bucket === it.suggested ? null : <>{BUCKET_LABELS[e.bucket]}: </>}
                      <SafeText text={e.detail} />
                    </li>
                  ))}
                </ul>
              )}
            </td>
            <td>
              <BucketPicker key={`${it.bucket ?? ''}/${it.suggested}`} item={it} onSet={(b) => onSet(it, b)} />
              {it.bucket !== null ? (
                <div className="muted" data-testid="failure-reviewed">
                  {BUCKET_LABELS[it.bucket]} by <SafeText text={it.reviewed_by} />, <TimeText value={it.reviewed_at} compact />
                </div>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
