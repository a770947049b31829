import { memo } from 'react';
import type { PendingAction, Run } from '../../api';
import { Citations } from '../../components/Citations';
import { citationOpener } from '../../lib/citationOpen';
import { PolicyChecks } from '../../components/PolicyChecks';
import { TraceView } from '../../components/TraceView';
import { Clipped, LongText } from '../../components/Clipped';

/** The run that produced the action: rationale, confidence, checks, citations, trace. Memoised so
 * the review clock ticking every second does not re-render long traces. */
export const RunContext = memo(function RunContext({
  backendId,
  action: a,
  run: r,
  loading,
  failed,
  onOpenRun,
}: {
  backendId: string;
  action: PendingAction;
  run: Run | null;
  loading: boolean;
  failed: boolean;
  onOpenRun: (backendId: string, runId: string) => void;
}) {
  const failedChecks = a.policy_checks.filter((c) => !c.passed).length;
  return (
    <aside className="review-run" data-testid="review-run">
      <section className="detail-section">
        <h2>
          Why the agent proposed it{' '}
          <button type="button" className="link-button small" onClick={() => onOpenRun(backendId, a.run_id)} data-testid="open-run">
            run <Clipped text={a.run_id} max={60} />
          </button>
        </h2>
        <dl className="kv">
          <dt>Confidence</dt>
          <dd data-testid="confidence">{a.confidence != null ? `${Math.round(a.confidence * 100)}%` : '—'}</dd>
          {r ? (
            <>
              <dt>Workflow</dt>
              <dd>
                <Clipped text={r.workflow} expandable /> <span className="muted"><Clipped text={r.workflow_version} max={40} /></span> ·{' '}
                <Clipped text={r.model} expandable />
              </dd>
              <dt>Requested by</dt>
              <dd>
                <Clipped text={r.user_id} expandable />
                {r.team ? (
                  <span className="muted">
                    {' '}
                    (<Clipped text={r.team} max={60} />)
                  </span>
                ) : null}
              </dd>
            </>
          ) : null}
        </dl>
        <h4>Rationale</h4>
        <p className="prose" data-testid="rationale">
          {a.rationale ? <LongText text={a.rationale} /> : <span className="muted">No rationale given.</span>}
        </p>
      </section>
      <section className="detail-section">
        <h2>Policy checks {failedChecks ? <span className="badge fail">{failedChecks} failed</span> : null}</h2>
        <PolicyChecks checks={a.policy_checks.length ? a.policy_checks : (r?.policy_checks ?? [])} />
      </section>
      {loading && !r ? <p className="muted">Loading the run…</p> : null}
      {failed && !r ? <p className="empty">The run that produced this action could not be loaded.</p> : null}
      {r ? (
        <>
          <section className="detail-section">
            <h2>Citations ({r.citations.length})</h2>
            <Citations citations={r.citations} onOpen={citationOpener(backendId, a.run_id, a.action_id)} />
          </section>
          <section className="detail-section">
            <h2>Trace ({r.tool_calls.length} tool calls)</h2>
            <p className="muted small" data-testid="trace-summary">
              {r.tool_calls.map((c) => c.tool).join(' → ') || 'no tool calls'}
            </p>
            <details>
              <summary>Show each call</summary>
              <TraceView calls={r.tool_calls} />
            </details>
          </section>
        </>
      ) : null}
    </aside>
  );
});
