import type { BucketChange } from '../../api/types';
import { SafeText } from '../../components/SafeText';
import { BUCKET_LABELS } from './buckets';

/** What moved from last week to this one, biggest move first. */
export function ChangesList({ changes, workflow }: { changes: BucketChange[]; workflow: string }) {
  const shown = changes.filter((c) => workflow === '' || c.workflow === workflow);
  return (
    <section className="failure-changes" data-testid="failure-changes">
      <h3>Since last week</h3>
      {shown.length === 0 ? (
        <p className="muted">No bucket moved.</p>
      ) : (
        <ul>
          {shown.map((c) => {
            const d = c.this_week - c.last_week;
            return (
              <li key={`${c.workflow}/${c.bucket}`} data-testid="failure-change" data-bucket={c.bucket}>
                <SafeText text={c.workflow} />: {BUCKET_LABELS[c.bucket]} {c.last_week} → {c.this_week}{' '}
                <span className={d > 0 ? 'delta up' : 'delta down'}>
                  ({d > 0 ? '+' : '−'}
                  {Math.abs(d)}
                  {c.last_week === 0 ? ', new' : c.this_week === 0 ? ', gone' : ''})
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
