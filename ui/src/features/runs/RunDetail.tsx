import { useEffect, useState, type ReactNode } from 'react';
import { getRun, golden } from '../../api';
import { useReportError } from '../../app/errors';
import { useLoad } from '../../app/useLoad';
import { SearchTermsContext } from '../../components/Highlighted';
import { JsonBlock } from '../../components/JsonBlock';
import { PolicyChecks } from '../../components/PolicyChecks';
import { SafeText } from '../../components/SafeText';
import { Freshness } from '../../components/Freshness';
import { SyncProgress } from '../../components/SyncProgress';
import { isEmptyJson } from '../../lib/json';
import { ActionCard } from '../../components/ActionCard';
import { actionAnchor, Changes } from './Changes';
import { Citations } from '../../components/Citations';
import { RunHeader } from './RunHeader';
import { TraceView } from '../../components/TraceView';
import { WhyThis } from './WhyThis';
import { citationOpener } from '../../lib/citationOpen';

const NO_TERMS: readonly string[] = [];

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

export function RunDetail({
  backendId,
  runId,
  onBack,
  onOpenRun,
  onSearch,
  searchTerms = NO_TERMS,
}: {
  backendId: string;
  runId: string;
  onBack: () => void;
  onOpenRun: (backendId: string, runId: string) => void;
  /** "/" pressed: back to the list with the search box focused. */
  onSearch?: () => void;
  /** Words of the list's search, marked wherever they occur in the run's text. */
  searchTerms?: readonly string[];
}) {
  const { data, loading, failed, loadedAt } = useLoad(
    () => getRun(backendId, runId),
    `${backendId}/${runId}`,
    'get_run',
  );

  // Escape or Backspace goes back to the list (not while typing in a field).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' && e.key !== 'Backspace' && e.key !== '/') return;
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (isTyping(e.target)) return;
      e.preventDefault();
      if (e.key === '/' && onSearch) onSearch();
      else if (e.key !== '/') onBack();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onBack, onSearch]);

  const run = data?.run;
  return (
    <SearchTermsContext.Provider value={searchTerms}>
      <section className="view run-detail" data-testid="run-detail" data-run-id={runId}>
        <header className="view-header">
          <div className="view-title">
            <button type="button" className="btn" onClick={onBack} data-testid="run-back" autoFocus title="Back (Esc)">
              ← Back
            </button>
            <h1>
              Run <code><SafeText text={runId} /></code>
            </h1>
            <Freshness loadedAt={loadedAt} backendIds={[backendId]} />
            {searchTerms.length > 0 ? (
              <p className="muted small" data-testid="search-terms-note">
                Marking search words:{' '}
                {searchTerms.map((t, i) => (
                  <mark key={i} className="search-hit">
                    <SafeText text={t} />
                  </mark>
                ))}
              </p>
            ) : null}
          </div>
          <div className="view-actions">
            {/* The sync indicator comes and goes: it sits left of the button so the button never moves. */}
            <SyncProgress />
            <AddToGolden backendId={backendId} runId={runId} />
          </div>
        </header>
        {loading && !data ? <p className="muted">Loading…</p> : null}
        {failed && !data ? <p className="empty">This run could not be loaded.</p> : null}
        {data && run ? (
          <>
            <RunHeader run={run} backendName={data.backend_name} />
            <WhyThis run={run} onOpen={citationOpener(backendId, runId)} />
            <Section title={`Policy checks (${run.policy_checks.length})`}>
              <PolicyChecks checks={run.policy_checks} />
            </Section>
            <Section title={`Trace (${run.tool_calls.length} tool calls)`}>
              <TraceView calls={run.tool_calls} />
            </Section>
            <Section title={`Citations (${run.citations.length})`}>
              <Citations citations={run.citations} onOpen={citationOpener(backendId, runId)} />
            </Section>
            <div className="two-col">
              <Section title="Inputs">
                {isEmptyJson(run.inputs) ? <p className="muted">None.</p> : <JsonBlock value={run.inputs} label="inputs" collapsible />}
              </Section>
              <Section title="Outputs">
                {isEmptyJson(run.outputs) ? <p className="muted">None.</p> : <JsonBlock value={run.outputs} label="outputs" collapsible />}
              </Section>
            </div>
            <Section title={`What it changed (${run.changes.length})`} testId="what-changed">
              <Changes changes={run.changes} linkedActionIds={data.actions.map((a) => a.action_id)} />
            </Section>
            <Section title={`Linked actions (${data.actions.length})`}>
              {data.actions.length === 0 ? <p className="muted">No actions proposed by this run.</p> : null}
              <div className="cards">
                {data.actions.map((a) => (
                  <div key={a.action_id} id={actionAnchor(a.action_id)} tabIndex={-1} className="anchor">
                    <ActionCard
                      action={a}
                      testId="linked-action"
                      onOpenRun={a.run_id !== runId ? () => onOpenRun(backendId, a.run_id) : undefined}
                    />
                  </div>
                ))}
              </div>
            </Section>
          </>
        ) : null}
      </section>
    </SearchTermsContext.Provider>
  );
}

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className="detail-section" data-testid={testId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** Adds this run to its workflow's golden set, expecting what it did (ceilings at 1.5×). */
function AddToGolden({ backendId, runId }: { backendId: string; runId: string }) {
  const report = useReportError();
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      {added ? (
        <span className="small muted" data-testid="run-added-golden">
          Added: <SafeText text={added} />
        </span>
      ) : null}
      <button
        type="button"
        className="btn small"
        data-testid="run-add-golden"
        disabled={busy || added !== null}
        onClick={() => {
          setBusy(true);
          golden
            .addRuns([{ backend_id: backendId, run_id: runId }])
            .then((v) => setAdded(v.map((x) => `${x.workflow} v${x.version}`).join(', ')))
            .catch((e) => report(e, 'golden_add_runs'))
            .finally(() => setBusy(false));
        }}
      >
        Add to golden set
      </button>
    </>
  );
}
