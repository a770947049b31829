import { useEffect, type ReactNode } from 'react';
import { getRun } from '../../api';
import { useLoad } from '../../app/useLoad';
import { JsonBlock } from '../../components/JsonBlock';
import { PolicyChecks } from '../../components/PolicyChecks';
import { SafeText } from '../../components/SafeText';
import { Freshness } from '../../components/Freshness';
import { isEmptyJson } from '../../lib/json';
import { ActionCard } from '../approvals/ActionCard';
import { Changes } from './Changes';
import { Citations } from './Citations';
import { RunHeader } from './RunHeader';
import { TraceView } from './TraceView';

export function RunDetail({
  backendId,
  runId,
  onBack,
  onOpenRun,
}: {
  backendId: string;
  runId: string;
  onBack: () => void;
  onOpenRun: (backendId: string, runId: string) => void;
}) {
  const { data, loading, failed, loadedAt } = useLoad(
    () => getRun(backendId, runId),
    `${backendId}/${runId}`,
    'get_run',
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
      onBack();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onBack]);

  const run = data?.run;
  return (
    <section className="view run-detail" data-testid="run-detail" data-run-id={runId}>
      <header className="view-header">
        <div className="view-title">
          <button type="button" className="btn" onClick={onBack} data-testid="run-back" autoFocus>
            ← Back
          </button>
          <h1>
            Run <code><SafeText text={runId} /></code>
          </h1>
          <Freshness loadedAt={loadedAt} backendIds={[backendId]} />
        </div>
      </header>
      {loading && !data ? <p className="muted">Loading…</p> : null}
      {failed && !data ? <p className="empty">This run could not be loaded.</p> : null}
      {data && run ? (
        <>
          <RunHeader run={run} backendName={data.backend_name} />
          <Section title={`Policy checks (${run.policy_checks.length})`}>
            <PolicyChecks checks={run.policy_checks} />
          </Section>
          <Section title={`Trace (${run.tool_calls.length} tool calls)`}>
            <TraceView calls={run.tool_calls} />
          </Section>
          <Section title={`Citations (${run.citations.length})`}>
            <Citations citations={run.citations} />
          </Section>
          <div className="two-col">
            <Section title="Inputs">
              {isEmptyJson(run.inputs) ? <p className="muted">None.</p> : <JsonBlock value={run.inputs} label="inputs" />}
            </Section>
            <Section title="Outputs">
              {isEmptyJson(run.outputs) ? <p className="muted">None.</p> : <JsonBlock value={run.outputs} label="outputs" />}
            </Section>
          </div>
          <Section title={`Changes (${run.changes.length})`}>
            <Changes changes={run.changes} />
          </Section>
          <Section title={`Linked actions (${data.actions.length})`}>
            {data.actions.length === 0 ? <p className="muted">No actions proposed by this run.</p> : null}
            <div className="cards">
              {data.actions.map((a) => (
                <ActionCard
                  key={a.action_id}
                  action={a}
                  testId="linked-action"
                  onOpenRun={a.run_id !== runId ? () => onOpenRun(backendId, a.run_id) : undefined}
                />
              ))}
            </div>
          </Section>
        </>
      ) : null}
    </section>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="detail-section">
      <h2>{title}</h2>
      {children}
    </section>
  );
}
