import type { Run } from '../../api';
import { OutcomeBadge } from '../../components/Badges';
import { Money } from '../../components/Money';
import { Highlighted } from '../../components/Highlighted';
import { TimeText } from '../../components/TimeText';
import { microsToDecimal } from '../../lib/money';
import { formatDuration } from '../../lib/time';
import { Clipped } from '../../components/Clipped';

export function RunHeader({ run, backendName }: { run: Run; backendName: string }) {
  return (
    <div className="run-header card">
      <dl className="kv wide">
        <dt>Triggered by</dt>
        <dd>
          <Clipped text={run.user_id} expandable testId="run-user" />
          {run.team ? (
            <span className="muted">
              {' '}
              · team <Clipped text={run.team} expandable testId="run-team" />
            </span>
          ) : null}
          {run.tenant ? (
            <span className="muted">
              {' '}
              · tenant <Clipped text={run.tenant} expandable testId="run-tenant" />
            </span>
          ) : null}
        </dd>
        <dt>Workflow</dt>
        <dd>
          <Clipped text={run.workflow} expandable testId="run-workflow" />{' '}
          {run.workflow_version ? (
            <span className="muted">
              <Clipped text={run.workflow_version} expandable testId="run-workflow-version" />
            </span>
          ) : null}
        </dd>
        <dt>Model</dt>
        <dd>
          <Clipped text={run.model} expandable testId="run-model" />
        </dd>
        <dt>Backend</dt>
        <dd>
          <Clipped text={backendName} expandable testId="run-backend" />
        </dd>
        <dt>Outcome</dt>
        <dd>
          <OutcomeBadge outcome={run.outcome} />
        </dd>
        <dt>Decision</dt>
        <dd>
          <code>
            <Clipped text={run.decision || '—'} expandable testId="run-decision" />
          </code>
        </dd>
        <dt>Confidence</dt>
        <dd>{run.confidence != null ? `${(run.confidence * 100).toFixed(1)}%` : '—'}</dd>
        <dt>Cost</dt>
        <dd data-testid="run-cost">
          <Money micros={run.cost_micros} /> <span className="muted small">({microsToDecimal(run.cost_micros)} USD)</span>
        </dd>
        <dt>Tokens</dt>
        <dd data-testid="run-tokens">
          {run.tokens.input.toLocaleString()} in · {run.tokens.output.toLocaleString()} out ·{' '}
          {(run.tokens.input + run.tokens.output).toLocaleString()} total
        </dd>
        <dt>Policy checks</dt>
        <dd>
          {run.policy_checks.length === 0 ? (
            <span className="muted">none recorded</span>
          ) : run.policy_checks.some((c) => !c.passed) ? (
            <span className="warn-text">
              {run.policy_checks.filter((c) => !c.passed).length} of {run.policy_checks.length} failed
            </span>
          ) : (
            <span className="ok-text">all {run.policy_checks.length} passed</span>
          )}
        </dd>
        <dt>Latency</dt>
        <dd data-testid="run-latency">{formatDuration(run.latency_ms)}</dd>
        <dt>Started</dt>
        <dd>
          <TimeText value={run.started_at} />
        </dd>
        <dt>Ended</dt>
        <dd>{run.ended_at ? <TimeText value={run.ended_at} /> : <span className="muted">not finished</span>}</dd>
        <dt>Revision</dt>
        <dd>
          {run.revision} <span className="muted">· updated </span>
          <TimeText value={run.updated_at} />
        </dd>
      </dl>
      <div className="rationale">
        <h3>Rationale</h3>
        <p className="prose">{run.rationale ? <Highlighted text={run.rationale} /> : <span className="muted">None recorded.</span>}</p>
      </div>
    </div>
  );
}
