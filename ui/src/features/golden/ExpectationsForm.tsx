// The form that edits a golden case's expectations: outcome, decision, the policy checks
// expected to fail, cost and latency ceilings, and which cited passages and write fields stay
// required. Saving makes a new, audited version of the set (`golden_set_expectations`).
import { useState } from 'react';
import { golden, OUTCOMES } from '../../api';
import type { Expectations, Outcome } from '../../api/types';
import { microsToDecimal } from '../../lib/money';
import { SafeText } from '../../components/SafeText';

/** The form's fields as the user types them. */
export interface ExpectationsDraft {
  outcome: string;
  decision: string;
  failedChecks: string;
  maxCostUsd: string;
  maxLatencyMs: string;
  /** Index into the original's citations → still required. */
  keepCitations: boolean[];
  keepWrites: boolean[];
}

/** The draft that shows `e` unchanged. */
export function draftOf(e: Expectations): ExpectationsDraft {
  return {
    outcome: e.outcome ?? '',
    decision: e.decision ?? '',
    failedChecks: e.failed_checks.join(', '),
    maxCostUsd: e.max_cost_micros != null ? microsToDecimal(e.max_cost_micros) : '',
    maxLatencyMs: e.max_latency_ms != null ? String(e.max_latency_ms) : '',
    keepCitations: e.citations.map(() => true),
    keepWrites: e.writes.map(() => true),
  };
}

/** Dollars typed as a decimal (up to six places) → exact micro-dollars; null when not one. */
export function parseUsd(text: string): number | null {
  const m = /^\s*\$?\s*(\d{1,12})(?:\.(\d{0,6}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** The expectations a draft stands for, or the first problem with it. */
export function expectationsFromDraft(original: Expectations, d: ExpectationsDraft): { expect: Expectations } | { error: string } {
  const expect: Expectations = {
    citations: original.citations.filter((_, i) => d.keepCitations[i] !== false),
    writes: original.writes.filter((_, i) => d.keepWrites[i] !== false),
    failed_checks: d.failedChecks
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
  if (d.outcome !== '') {
    if (!OUTCOMES.includes(d.outcome as Outcome)) return { error: `unknown outcome ${d.outcome}` };
    expect.outcome = d.outcome as Outcome;
  }
  if (d.decision.trim() !== '') expect.decision = d.decision.trim();
  if (d.maxCostUsd.trim() !== '') {
    const micros = parseUsd(d.maxCostUsd);
    if (micros === null) return { error: 'cost ceiling: a dollar amount such as 0.05 (up to six decimals)' };
    expect.max_cost_micros = micros;
  }
  if (d.maxLatencyMs.trim() !== '') {
    const ms = d.maxLatencyMs.trim();
    if (!/^\d{1,12}$/.test(ms)) return { error: 'latency ceiling: whole milliseconds' };
    expect.max_latency_ms = Number(ms);
  }
  return { expect };
}

export function ExpectationsForm({
  workflow,
  caseId,
  expect,
  onSaved,
  onCancel,
}: {
  workflow: string;
  caseId: string;
  expect: Expectations;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const [d, setD] = useState<ExpectationsDraft>(() => draftOf(expect));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof ExpectationsDraft) => (v: string) => setD({ ...d, [k]: v });
  const save = () => {
    const r = expectationsFromDraft(expect, d);
    if ('error' in r) {
      setError(r.error);
      return;
    }
    setBusy(true);
    golden
      .setExpectations(workflow, caseId, r.expect)
      .then(() => {
        setError(null);
        onSaved();
      })
      .catch((e: { message?: string }) => setError(e.message ?? String(e)))
      .finally(() => setBusy(false));
  };
  return (
    <div className="card" data-testid="golden-expect-form" data-case-id={caseId}>
      <h3>
        Expectations of <code><SafeText text={caseId} /></code>
      </h3>
      <div className="filters">
        <label>
          Outcome{' '}
          <select data-testid="expect-outcome" value={d.outcome} onChange={(e) => set('outcome')(e.target.value)}>
            <option value="">any</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          Decision <input data-testid="expect-decision" value={d.decision} placeholder="any" onChange={(e) => set('decision')(e.target.value)} />
        </label>
        <label>
          Checks expected to fail{' '}
          <input data-testid="expect-failed-checks" value={d.failedChecks} placeholder="none" onChange={(e) => set('failedChecks')(e.target.value)} />
        </label>
        <label>
          Cost ceiling ($){' '}
          <input data-testid="expect-max-cost" value={d.maxCostUsd} placeholder="none" onChange={(e) => set('maxCostUsd')(e.target.value)} />
        </label>
        <label>
          Latency ceiling (ms){' '}
          <input data-testid="expect-max-latency" value={d.maxLatencyMs} placeholder="none" onChange={(e) => set('maxLatencyMs')(e.target.value)} />
        </label>
      </div>
      {expect.citations.length > 0 ? <h4>Passages it must cite</h4> : null}
      {expect.citations.map((c, i) => (
        <label key={i} className="small" style={{ display: 'block' }}>
          <input
            type="checkbox"
            data-testid="expect-keep-citation"
            checked={d.keepCitations[i] !== false}
            onChange={(e) => setD({ ...d, keepCitations: d.keepCitations.map((k, j) => (j === i ? e.target.checked : k)) })}
          />{' '}
          <code>
            <SafeText text={c.doc_id} />
          </code>{' '}
          “<SafeText text={c.passage} />”
        </label>
      ))}
      {expect.writes.length > 0 ? <h4>Write fields it must propose</h4> : null}
      {expect.writes.map((w, i) => (
        <label key={i} className="small" style={{ display: 'block' }}>
          <input
            type="checkbox"
            data-testid="expect-keep-write"
            checked={d.keepWrites[i] !== false}
            onChange={(e) => setD({ ...d, keepWrites: d.keepWrites.map((k, j) => (j === i ? e.target.checked : k)) })}
          />{' '}
          <SafeText text={`${w.field} = ${JSON.stringify(w.after)}`} />
        </label>
      ))}
      <div className="filters">
        <button type="button" className="btn primary small" data-testid="expect-save" disabled={busy} onClick={save}>
          Save (new version)
        </button>
        <button type="button" className="btn small" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error ? (
        <p className="error small" data-testid="expect-error">
          <SafeText text={error} />
        </p>
      ) : null}
    </div>
  );
}
