// Golden sets: a workflow's cases with their expectations, evals of a configuration on a
// native backend, and an eval's report beside its baseline, case by case. Agent output is
// shown as text only (SafeText), never as HTML.
import { useState } from 'react';
import { golden } from '../../api';
import type { CaseComparison, CasePair, ConfigLabel, EvalComparison, EvalRecord, PassThresholds, Run } from '../../api/types';
import { useReportError } from '../../app/errors';
import { useStore } from '../../app/store';
import { useLoad } from '../../app/useLoad';
import { Money } from '../../components/Money';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { ExpectationsForm } from './ExpectationsForm';

const pct = (n: number, of: number) => (of === 0 ? '–' : `${((n / of) * 100).toFixed(1)} %`);
const change = (x: number | null | undefined) => (x == null ? '–' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`);

export function GoldenView({ onOpenRun }: { onOpenRun: (backendId: string, runId: string) => void }) {
  const sets = useLoad(golden.sets, 'golden-sets', 'golden_sets');
  const [picked, setPicked] = useState<string | null>(null);
  const workflow = picked ?? sets.data?.[0]?.workflow ?? null;
  return (
    <section className="view golden-view" data-testid="golden-view">
      <header className="view-header">
        <div className="view-title">
          <h1>Golden sets</h1>
          <p className="muted small">
            Real runs kept with what a replay must do. Add runs from a run's page; replay the set under a new model, prompt or
            version before it goes live.
          </p>
        </div>
      </header>
      {sets.data && sets.data.length === 0 ? (
        <p className="empty" data-testid="golden-empty">
          No golden set yet: open a run and choose “Add to golden set”.
        </p>
      ) : null}
      <div className="filters">
        {(sets.data ?? []).map((s) => (
          <button
            key={s.workflow}
            type="button"
            className={`btn small${s.workflow === workflow ? ' active' : ''}`}
            data-testid="golden-set"
            data-workflow={s.workflow}
            onClick={() => setPicked(s.workflow)}
          >
            <SafeText text={s.workflow} /> · v{s.version} · {s.cases} cases
          </button>
        ))}
      </div>
      {workflow ? <GoldenSet key={workflow} workflow={workflow} onOpenRun={onOpenRun} onChanged={sets.reload} /> : null}
      <ThresholdsForm />
    </section>
  );
}

function GoldenSet({ workflow, onOpenRun, onChanged }: { workflow: string; onOpenRun: (b: string, r: string) => void; onChanged: () => void }) {
  const report = useReportError();
  const { backends } = useStore();
  const cases = useLoad(() => golden.cases(workflow), `golden-cases-${workflow}`, 'golden_cases');
  const versions = useLoad(() => golden.versions(workflow), `golden-versions-${workflow}`, 'golden_versions');
  const evals = useLoad(() => golden.evals(workflow), `golden-evals-${workflow}`, 'golden_evals');
  const [openEval, setOpenEval] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const remove = (id: string) =>
    golden
      .removeCases(workflow, [id])
      .then(() => {
        cases.reload();
        versions.reload();
        onChanged();
      })
      .catch((e) => report(e, 'golden_remove_cases'));
  const current = versions.data?.[0];
  return (
    <>
      <section className="detail-section" data-testid="golden-cases">
        <h2>
          <SafeText text={workflow} /> — version {current?.version ?? '…'} ({cases.data?.length ?? 0} cases)
        </h2>
        {current ? (
          <p className="muted small">
            Last change: <SafeText text={current.change} /> by <SafeText text={current.actor} />, <TimeText value={current.created_at} />
          </p>
        ) : null}
        <div className="filters">
          <button
            type="button"
            className="btn small"
            data-testid="golden-export"
            onClick={() =>
              golden
                .exportSet(workflow)
                .then(setExported)
                .catch((e) => report(e, 'golden_export'))
            }
          >
            Export JSONL
          </button>
        </div>
        {exported !== null ? (
          <div data-testid="golden-export-text">
            <p className="small muted">The set as JSONL (run record + expect per line; select and copy):</p>
            <textarea readOnly rows={6} className="export-text" value={exported} />
          </div>
        ) : null}
        <table className="table">
          <thead>
            <tr>
              <th>Case (run)</th>
              <th>Outcome</th>
              <th>Decision</th>
              <th>Must cite</th>
              <th>Write fields</th>
              <th>Cost ceiling</th>
              <th>Latency ceiling</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(cases.data ?? []).map(({ backend_id, case: c }) => (
              <tr key={c.run.run_id} data-testid="golden-case" data-case-id={c.run.run_id}>
                <td>
                  <button type="button" className="link" onClick={() => onOpenRun(backend_id, c.run.run_id)}>
                    <SafeText text={c.run.run_id} />
                  </button>
                </td>
                <td>{c.expect.outcome ?? 'any'}</td>
                <td>
                  <SafeText text={c.expect.decision ?? 'any'} />
                </td>
                <td>
                  {c.expect.citations.map((x, i) => (
                    <div key={i} className="small">
                      <code>
                        <SafeText text={x.doc_id} />
                      </code>{' '}
                      “<SafeText text={x.passage} />”
                    </div>
                  ))}
                </td>
                <td>
                  {c.expect.writes.map((w, i) => (
                    <div key={i} className="small">
                      <SafeText text={`${w.field} = ${JSON.stringify(w.after)}`} />
                    </div>
                  ))}
                </td>
                <td>{c.expect.max_cost_micros != null ? <Money micros={c.expect.max_cost_micros} /> : '–'}</td>
                <td>{c.expect.max_latency_ms != null ? `${c.expect.max_latency_ms} ms` : '–'}</td>
                <td>
                  <button type="button" className="btn small" data-testid="golden-edit" onClick={() => setEditing(c.run.run_id)}>
                    Edit
                  </button>{' '}
                  <button type="button" className="btn small" data-testid="golden-remove" onClick={() => void remove(c.run.run_id)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {(() => {
          const c = editing ? cases.data?.find((x) => x.case.run.run_id === editing) : undefined;
          return c ? (
            <ExpectationsForm
              key={`${editing}-${current?.version ?? 0}`}
              workflow={workflow}
              caseId={c.case.run.run_id}
              expect={c.case.expect}
              onCancel={() => setEditing(null)}
              onSaved={() => {
                setEditing(null);
                cases.reload();
                versions.reload();
                onChanged();
              }}
            />
          ) : null;
        })()}
        <ImportForm workflow={workflow} backends={backends ?? []} onImported={() => { cases.reload(); versions.reload(); onChanged(); }} />
      </section>
      <StartEval
        workflow={workflow}
        evals={evals.data ?? []}
        onStarted={(id) => {
          evals.reload();
          setOpenEval(id);
        }}
      />
      <section className="detail-section" data-testid="golden-evals">
        <h2>Evals</h2>
        {evals.data && evals.data.length === 0 ? <p className="muted">No eval of this set yet.</p> : null}
        <table className="table">
          <thead>
            <tr>
              <th>Eval</th>
              <th>Configuration</th>
              <th>Set version</th>
              <th>Started</th>
              <th>Verdict</th>
            </tr>
          </thead>
          <tbody>
            {(evals.data ?? []).map((e) => (
              <tr key={e.eval_id} data-testid="golden-eval" data-eval-id={e.eval_id} data-passed={String(e.passed)}>
                <td>
                  <button type="button" className="link" onClick={() => setOpenEval(e.eval_id)}>
                    <SafeText text={e.eval_id} />
                  </button>
                </td>
                <td>
                  <SafeText text={label(e.config)} />
                </td>
                <td>v{e.set_version}</td>
                <td>
                  <TimeText value={e.started_at} />
                </td>
                <td>
                  {e.passed == null ? '–' : e.passed ? <span className="badge ok">passed</span> : <span className="badge bad">failed</span>}
                  {e.error ? (
                    <span className="badge bad" data-testid="golden-eval-error" title={e.error}>
                      stopped by a server error
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {openEval ? <EvalReport key={openEval} evalId={openEval} record={evals.data?.find((e) => e.eval_id === openEval) ?? null} /> : null}
    </>
  );
}

/** `version / model`, then ` / prompt` and ` / retrieval` when named (as the Rust `ConfigLabel::display`). */
export function label(c: ConfigLabel): string {
  return [c.version, c.model, c.prompt, c.retrieval].filter((x, i) => i < 2 || x).join(' / ');
}

/** The backend an import attaches its cases to: the one chosen if it is still there, else the first. */
export function importBackend(backends: { backend_id: string }[], chosen: string): string {
  return backends.some((b) => b.backend_id === chosen) ? chosen : (backends[0]?.backend_id ?? '');
}

/** Pastes JSONL over the set; its runs are attached to the backend chosen here. */
export function ImportForm({
  workflow,
  backends,
  onImported,
}: {
  workflow: string;
  backends: { backend_id: string; name: string }[];
  onImported: () => void;
}) {
  const report = useReportError();
  const [text, setText] = useState('');
  const [chosen, setChosen] = useState('');
  const [error, setError] = useState<string | null>(null);
  const backendId = importBackend(backends, chosen);
  return (
    <details className="small">
      <summary>Import JSONL (replaces the set with a new version)</summary>
      <label>
        Cases' runs are on{' '}
        <select data-testid="golden-import-backend" value={backendId} onChange={(e) => setChosen(e.target.value)}>
          {backends.map((b) => (
            <option key={b.backend_id} value={b.backend_id}>
              {b.name}
            </option>
          ))}
        </select>
      </label>
      <textarea rows={4} className="export-text" data-testid="golden-import-text" value={text} onChange={(e) => setText(e.target.value)} />
      <button
        type="button"
        className="btn small"
        data-testid="golden-import"
        disabled={!text.trim() || !backendId}
        onClick={() =>
          golden
            .importSet(workflow, backendId, text, 'pasted JSONL')
            .then(() => {
              setError(null);
              setText('');
              onImported();
            })
            .catch((e: { code?: string; message?: string }) => (e.code === 'invalid_input' ? setError(e.message ?? '') : report(e, 'golden_import')))
        }
      >
        Import
      </button>
      {error ? (
        <p className="error small" data-testid="golden-import-error">
          <SafeText text={error} />
        </p>
      ) : null}
    </details>
  );
}

function StartEval({ workflow, evals, onStarted }: { workflow: string; evals: EvalRecord[]; onStarted: (id: string) => void }) {
  const report = useReportError();
  const { backends } = useStore();
  const native = (backends ?? []).filter((b) => b.kind === 'countersign' || b.kind === 'langgraph');
  const [backendId, setBackendId] = useState<string>('');
  const [config, setConfig] = useState<ConfigLabel>({ version: '', model: '', prompt: '', retrieval: '' });
  // The configuration the workflow's synced runs now use: the one the gate waits for an eval of.
  const gate = useLoad(() => golden.gates([workflow]), `golden-gate-${workflow}`, 'golden_gates');
  const current = gate.data?.[0]?.gate.current ?? null;
  const [baseline, setBaseline] = useState<string>('');
  const [busy, setBusy] = useState(false);
  // LangGraph: the assistant (id or graph name, default the workflow's graph) and its version.
  const [assistant, setAssistant] = useState<string>('');
  const [assistantVersion, setAssistantVersion] = useState<string>('');
  const chosen = backendId || native[0]?.backend_id || '';
  const langgraph = native.find((b) => b.backend_id === chosen)?.kind === 'langgraph';
  const versionNumber = /^\d+$/.test(assistantVersion.trim()) ? Number(assistantVersion.trim()) : null;
  const start = () => {
    setBusy(true);
    (langgraph
      ? golden.startLangGraphEval(workflow, chosen, assistant.trim() || workflow, versionNumber, config, baseline || null)
      : golden.startEval(workflow, chosen, config, baseline || null)
    )
      .then((o) => onStarted(o.eval.eval_id))
      .catch((e) => report(e, langgraph ? 'golden_start_langgraph_eval' : 'golden_start_eval'))
      .finally(() => setBusy(false));
  };
  return (
    <section className="detail-section" data-testid="golden-start">
      <h2>Run an eval</h2>
      <p className="muted small">
        The backend replays every case in eval mode: writes are recorded, never executed. Evals run on native backends;
        on a LangGraph Server each case runs as a new thread on the assistant you choose, its interrupts are recorded as
        proposed writes and never resumed, and the thread is deleted.
      </p>
      <div className="filters">
        <label>
          Backend{' '}
          <select value={chosen} onChange={(e) => setBackendId(e.target.value)} data-testid="golden-eval-backend">
            {native.map((b) => (
              <option key={b.backend_id} value={b.backend_id}>
                {b.name}
              </option>
            ))}
          </select>
        </label>
        {langgraph ? (
          <>
            <label>
              Assistant{' '}
              <input
                data-testid="golden-eval-assistant"
                value={assistant}
                onChange={(e) => setAssistant(e.target.value)}
                placeholder={workflow}
              />
            </label>
            <label>
              Assistant version{' '}
              <input
                data-testid="golden-eval-assistant-version"
                value={assistantVersion}
                onChange={(e) => setAssistantVersion(e.target.value)}
                placeholder="latest"
                inputMode="numeric"
              />
            </label>
          </>
        ) : null}
        {current ? (
          <button type="button" className="btn small" data-testid="golden-eval-use-current" onClick={() => setConfig({ ...current })}>
            Use the configuration now running (<SafeText text={label(current)} />)
          </button>
        ) : null}
        {(['version', 'model', 'prompt', 'retrieval'] as const).map((k) => (
          <label key={k}>
            {k}{' '}
            <input
              data-testid={`golden-eval-${k}`}
              value={config[k]}
              onChange={(e) => setConfig({ ...config, [k]: e.target.value })}
              placeholder={k === 'prompt' || k === 'retrieval' || langgraph ? 'optional' : ''}
            />
          </label>
        ))}
        <label>
          Baseline{' '}
          <select value={baseline} onChange={(e) => setBaseline(e.target.value)} data-testid="golden-eval-baseline">
            <option value="">the recorded runs</option>
            {evals.map((e) => (
              <option key={e.eval_id} value={e.eval_id}>
                {e.eval_id} ({label(e.config)})
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn primary"
          data-testid="golden-eval-start"
          disabled={
            busy ||
            !chosen ||
            (langgraph
              ? assistantVersion.trim() !== '' && versionNumber === null
              : !config.model.trim() || !config.version.trim())
          }
          onClick={start}
        >
          {busy ? 'Running…' : 'Run eval'}
        </button>
      </div>
    </section>
  );
}

/** The server error that stopped an eval's replay: what it got is kept, the failing case recorded as failed. */
export function EvalError({ error }: { error: string }) {
  return (
    <p className="error-text" role="alert" data-testid="golden-report-error">
      The replay stopped on a server error; the cases run before it are kept and the case it failed on is recorded as
      failed (audited as <code>golden_eval_failed</code>): <SafeText text={error} />
    </p>
  );
}

function EvalReport({ evalId, record }: { evalId: string; record: EvalRecord | null }) {
  const report = useReportError();
  const r = useLoad(() => golden.report(evalId), `golden-report-${evalId}`, 'golden_eval_report');
  const [openCase, setOpenCase] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const data: EvalComparison | null = r.data;
  if (!data) return <p className="muted">Loading the report…</p>;
  const t = data.totals;
  return (
    <section className="detail-section" data-testid="golden-report" data-eval-id={evalId} data-passed={String(data.passed)}>
      <h2>
        Eval <SafeText text={evalId} /> {record ? <>— <SafeText text={label(record.config)} /></> : null}{' '}
        {data.passed ? <span className="badge ok">passed</span> : <span className="badge bad">failed</span>}
      </h2>
      {record?.error ? <EvalError error={record.error} /> : null}
      {data.reasons.length > 0 ? (
        <ul data-testid="golden-report-reasons">
          {data.reasons.map((x, i) => (
            <li key={i}>
              <SafeText text={x} />
            </li>
          ))}
        </ul>
      ) : null}
      <table className="table small" data-testid="golden-totals">
        <tbody>
          <tr>
            <th>Cases passing</th>
            <td>
              {t.passed} of {t.cases} ({pct(t.passed, t.cases)}){t.missing > 0 ? `, ${t.missing} not reported` : ''}
            </td>
            <th>Outcome and decision</th>
            <td>{pct(t.outcome_matches, t.cases)}</td>
          </tr>
          <tr>
            <th>Citations</th>
            <td>
              {pct(t.citation_matches, t.cases)} ({t.stale_citations} stale or deprecated)
            </td>
            <th>Write fields</th>
            <td>{pct(t.write_matches, t.cases)}</td>
          </tr>
          <tr>
            <th>Cost vs baseline</th>
            <td>
              <Money micros={t.cost_micros} /> vs <Money micros={t.baseline_cost_micros} /> ({change(data.cost_change)}), {t.over_cost_ceiling} over ceiling
            </td>
            <th>Latency vs baseline</th>
            <td>
              {t.latency_ms} vs {t.baseline_latency_ms} ms ({change(data.latency_change)}), {t.over_latency_ceiling} over ceiling
            </td>
          </tr>
          <tr>
            <th>Policy checks failed</th>
            <td>{t.policy_failures}</td>
            <th>Refused or escalated</th>
            <td>
              {t.refused_or_escalated} (baseline {t.baseline_refused_or_escalated})
            </td>
          </tr>
        </tbody>
      </table>
      <div className="filters">
        <button
          type="button"
          className="btn small"
          data-testid="golden-report-export"
          onClick={() =>
            golden
              .exportReport(evalId)
              .then(setExported)
              .catch((e) => report(e, 'golden_export_report'))
          }
        >
          Export report (JSON)
        </button>
      </div>
      {exported !== null ? <textarea readOnly rows={6} className="export-text" data-testid="golden-report-text" value={exported} /> : null}
      <table className="table">
        <thead>
          <tr>
            <th>Case</th>
            <th>Verdict</th>
            <th>Outcome</th>
            <th>Cost (ceiling, baseline)</th>
            <th>Latency (ceiling, baseline)</th>
            <th>Why</th>
          </tr>
        </thead>
        <tbody>
          {data.cases.map((c) => (
            <CaseRow key={c.case_id} c={c} onOpen={() => setOpenCase(c.case_id)} />
          ))}
        </tbody>
      </table>
      {openCase ? <SideBySide key={openCase} evalId={evalId} caseId={openCase} row={data.cases.find((c) => c.case_id === openCase) ?? null} /> : null}
    </section>
  );
}

export function CaseRow({ c, onOpen }: { c: CaseComparison; onOpen: () => void }) {
  return (
    <tr data-testid="golden-report-case" data-case-id={c.case_id} data-passed={String(c.passed)}>
      <td>
        <button type="button" className="link" data-testid="golden-open-case" onClick={onOpen}>
          <SafeText text={c.case_id} />
        </button>
      </td>
      <td>{c.passed ? <span className="badge ok">pass</span> : <span className="badge bad">fail</span>}</td>
      <td>
        {c.outcome ?? '–'} {c.expected_outcome && c.outcome !== c.expected_outcome ? `(expected ${c.expected_outcome})` : ''}
      </td>
      <td>
        <Money micros={c.cost_micros} /> ({c.max_cost_micros != null ? <Money micros={c.max_cost_micros} /> : '–'},{' '}
        {c.baseline_cost_micros != null ? <Money micros={c.baseline_cost_micros} /> : '–'})
      </td>
      <td>
        {c.latency_ms} ms ({c.max_latency_ms ?? '–'}, {c.baseline_latency_ms ?? '–'})
      </td>
      <td className="small">
        {c.note ? (
          <div className="muted" data-testid="golden-case-note" title="Judged by the write it proposed, not by its outcome: a replay never resumes a review">
            <SafeText text={c.note} />
          </div>
        ) : null}
        {c.reasons.map((x, i) => (
          <div key={i}>
            <SafeText text={x} />
          </div>
        ))}
      </td>
    </tr>
  );
}

export function RunColumn({ title, run, testId }: { title: string; run: Run | null | undefined; testId: string }) {
  if (!run) {
    return (
      <div data-testid={testId}>
        <h3>{title}</h3>
        <p className="muted">No run reported.</p>
      </div>
    );
  }
  return (
    <div data-testid={testId}>
      <h3>
        {title}: <code><SafeText text={run.run_id} /></code>
      </h3>
      <p>
        <SafeText text={`${run.workflow_version} / ${run.model}`} /> · {run.outcome} · <SafeText text={run.decision} />
      </p>
      <p>
        <Money micros={run.cost_micros} /> · {run.latency_ms} ms
      </p>
      <h4>Citations</h4>
      {run.citations.map((x, i) => (
        <div key={i} className="small" data-testid="side-citation" data-deprecated={String(x.deprecated)}>
          <code>
            <SafeText text={x.doc_id} />
          </code>{' '}
          <SafeText text={x.title} /> {x.deprecated ? <span className="badge bad">deprecated</span> : null}
          <blockquote>
            <SafeText text={x.passage} />
          </blockquote>
        </div>
      ))}
      <h4>Proposed writes</h4>
      {run.changes.map((w, i) => (
        <div key={i} className="small">
          <SafeText text={`${w.system}/${w.record_id} ${w.field}: ${JSON.stringify(w.before)} → ${JSON.stringify(w.after)}`} />
        </div>
      ))}
      <h4>Policy checks</h4>
      {run.policy_checks.map((p, i) => (
        <div key={i} className="small">
          <SafeText text={`${p.name}: ${p.passed ? 'passed' : 'failed'}`} />
        </div>
      ))}
    </div>
  );
}

function SideBySide({ evalId, caseId, row }: { evalId: string; caseId: string; row: CaseComparison | null }) {
  const pair = useLoad<CasePair>(() => golden.evalCase(evalId, caseId), `golden-case-${evalId}-${caseId}`, 'golden_eval_case');
  return (
    <section className="detail-section" data-testid="golden-side-by-side" data-case-id={caseId}>
      <h2>
        Case <SafeText text={caseId} /> beside its baseline {row ? (row.passed ? '(passes)' : '(fails)') : null}
      </h2>
      {row ? <FailingChecks row={row} /> : null}
      {pair.data ? (
        <div className="two-col">
          <RunColumn title="Baseline" run={pair.data.baseline} testId="side-baseline" />
          <RunColumn title="Eval" run={pair.data.eval} testId="side-eval" />
        </div>
      ) : (
        <p className="muted">Loading…</p>
      )}
    </section>
  );
}

/** The checks a case failed (one line each, as the report words them), or that it passes them all. */
export function FailingChecks({ row }: { row: CaseComparison }) {
  if (row.reasons.length === 0) {
    return (
      <p className="small" data-testid="side-failing-checks" data-count="0">
        <span className="badge ok">every check passes</span>
      </p>
    );
  }
  return (
    <div data-testid="side-failing-checks" data-count={row.reasons.length}>
      <h3>Failing checks</h3>
      <ul>
        {row.reasons.map((x, i) => (
          <li key={i} data-testid="side-failing-check">
            <SafeText text={x} />
          </li>
        ))}
      </ul>
    </div>
  );
}

function ThresholdsForm() {
  const report = useReportError();
  const t = useLoad(golden.getThresholds, 'golden-thresholds', 'get_golden_thresholds');
  const [draft, setDraft] = useState<PassThresholds | null>(null);
  const [error, setError] = useState<string | null>(null);
  const value = draft ?? t.data;
  if (!value) return null;
  const fields: [keyof PassThresholds, string][] = [
    ['min_case_pass_rate', 'cases passing (share)'],
    ['min_outcome_match_rate', 'outcome and decision matches (share)'],
    ['min_citation_match_rate', 'citation matches (share)'],
    ['min_write_match_rate', 'write field matches (share)'],
    ['max_cost_increase', 'cost increase vs baseline (share)'],
    ['max_latency_increase', 'latency increase vs baseline (share)'],
    ['stale_after_days', 'a source is stale after (days)'],
  ];
  return (
    <details className="detail-section" data-testid="golden-thresholds">
      <summary>Pass thresholds (audited)</summary>
      {fields.map(([k, name]) => (
        <label key={k} className="small">
          {name}{' '}
          <input
            type="number"
            step="any"
            data-testid={`golden-threshold-${k}`}
            value={value[k]}
            onChange={(e) => setDraft({ ...value, [k]: Number(e.target.value) })}
          />
        </label>
      ))}
      <button
        type="button"
        className="btn small"
        data-testid="golden-thresholds-save"
        disabled={!draft}
        onClick={() =>
          golden
            .setThresholds(value)
            .then(() => {
              setDraft(null);
              setError(null);
              t.reload();
            })
            .catch((e: { code?: string; message?: string }) => (e.code === 'invalid_input' ? setError(e.message ?? '') : report(e, 'set_golden_thresholds')))
        }
      >
        Save
      </button>
      {error ? (
        <p className="error small">
          <SafeText text={error} />
        </p>
      ) : null}
    </details>
  );
}
