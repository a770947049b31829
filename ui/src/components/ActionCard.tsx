import type { PendingAction } from '../api';
import { RiskBadge, StatusBadge } from './Badges';
import { JsonBlock } from './JsonBlock';
import { PolicyChecks } from './PolicyChecks';
import { TimeText } from './TimeText';
import { isEmptyJson } from '../lib/json';
import { ReviewFields } from './ReviewFields';
import { Clipped, LongText } from './Clipped';

export interface ActionCardProps {
  action: PendingAction;
  effectiveStatus?: string;
  backendName?: string;
  onOpenRun?: () => void;
  testId?: string;
}

/** One pending (or decided) high-risk write, read-only. */
export function ActionCard({ action: a, effectiveStatus, backendName, onOpenRun, testId }: ActionCardProps) {
  const status = effectiveStatus ?? a.status;
  return (
    <article className={`card action risk-border-${a.risk}`} data-testid={testId} data-action-id={a.action_id}>
      <header className="card-head">
        <h3>
          <Clipped text={a.title} expandable />
        </h3>
        <RiskBadge risk={a.risk} />
        <StatusBadge status={status} />
        {status !== a.status ? (
          <span className="muted" title="Status recorded by the backend">
            (recorded: {a.status})
          </span>
        ) : null}
      </header>
      <dl className="kv">
        <dt>Target</dt>
        <dd>
          <code>
            <Clipped text={a.target.system} max={60} />/<Clipped text={a.target.record_id} max={80} expandable />
          </code>{' '}
          <span className="muted">
            (<Clipped text={a.kind} max={60} />)
          </span>
        </dd>
        {backendName !== undefined ? (
          <>
            <dt>Backend</dt>
            <dd>
              <Clipped text={backendName} expandable />
            </dd>
          </>
        ) : null}
        <dt>Run</dt>
        <dd>
          {onOpenRun ? (
            <button type="button" className="link-button" onClick={onOpenRun}>
              <Clipped text={a.run_id} max={80} />
            </button>
          ) : (
            <code>
              <Clipped text={a.run_id} max={80} />
            </code>
          )}
          {a.tenant ? (
            <span className="muted">
              {' '}
              · tenant <Clipped text={a.tenant} max={60} />
            </span>
          ) : null}
        </dd>
        <dt>Requested</dt>
        <dd>
          <TimeText value={a.requested_at} />
        </dd>
        <dt>Expires</dt>
        <dd>
          <TimeText value={a.expires_at} />
          {a.escalate_to ? (
            <span className="muted">
              {' '}
              · escalates to <Clipped text={a.escalate_to} max={60} />
            </span>
          ) : null}
        </dd>
        {a.decided_by || a.decided_at ? (
          <>
            <dt>Decided</dt>
            <dd>
              <Clipped text={a.decided_by ?? '?'} max={80} /> <TimeText value={a.decided_at} />
            </dd>
          </>
        ) : null}
        <dt>Confidence</dt>
        <dd>{a.confidence != null ? `${Math.round(a.confidence * 100)}%` : '—'}</dd>
        <dt>Rollback</dt>
        <dd>{a.rollback_supported ? 'supported' : 'not supported'}</dd>
      </dl>
      <h4>Fields to review</h4>
      <ReviewFields fields={a.fields} />
      {a.rationale ? (
        <>
          <h4>Rationale</h4>
          <p className="prose">
            <LongText text={a.rationale} />
          </p>
        </>
      ) : null}
      {a.policy_checks.length > 0 ? (
        <>
          <h4>Policy checks</h4>
          <PolicyChecks checks={a.policy_checks} />
        </>
      ) : null}
      {!isEmptyJson(a.proposed) ? (
        <details>
          <summary>Proposed payload</summary>
          <JsonBlock value={a.proposed} />
        </details>
      ) : null}
    </article>
  );
}
