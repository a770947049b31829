import { useState } from 'react';
import { exportScorecards, getReadinessThresholds, readinessScorecard, readinessWorkflows, setReadinessThresholds } from '../../api';
import type { Link, Scorecard, Status, Thresholds } from '../../api/types';
import { useReportError } from '../../app/errors';
import { useLoad } from '../../app/useLoad';
import { Clipped } from '../../components/Clipped';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { AutonomyPanel } from './Autonomy';

const CRITERIA: Record<string, string> = {
  reversible: 'Reversible',
  citation_coverage: 'Citation coverage',
  cost_bounded: 'Cost bounded',
  escalation_consistent: 'Escalation consistent',
  audit_complete: 'Audit complete',
  trust: 'Reviewers trusted',
  eval_gate: 'Changed only after a passing eval',
};

export function StatusBadge({ status }: { status: Status }) {
  return (
    <span className={`badge ${status}`} data-testid="readiness-status" data-status={status}>
      {status}
    </span>
  );
}

/** The text of a scorecard row's link. */
export function linkLabel(l: Link): string {
  switch (l.to) {
    case 'runs':
      return l.outcome ? `Runs (${l.outcome})` : 'Runs';
    case 'decisions':
      return 'Decisions';
    case 'actions':
      return 'Actions';
    default:
      return 'Audit trail';
  }
}

/** A workflow's scorecard: a row per criterion with its evidence and where to look. */
export function ScorecardTable({ card, onLink }: { card: Scorecard; onLink: (l: Link) => void }) {
  return (
    <div className="card" data-testid="scorecard" data-workflow={card.workflow} data-status={card.status}>
      <header className="card-head">
        <h3>
          <Clipped text={card.workflow} /> <StatusBadge status={card.status} />
        </h3>
        <span className="muted small">
          <TimeText value={card.from} compact /> – <TimeText value={card.to} compact />
        </span>
      </header>
      <table className="table">
        <thead>
          <tr>
            <th>Criterion</th>
            <th>Status</th>
            <th>Evidence</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {card.rows.map((r) => (
            <tr key={r.criterion} data-testid="scorecard-row" data-criterion={r.criterion} data-status={r.status}>
              <th>{CRITERIA[r.criterion] ?? r.criterion}</th>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td>
                <ul className="plain-list small">
                  {r.evidence.map((e, i) => (
                    <li key={i} data-status={e.status}>
                      <SafeText text={e.label} />: <strong><SafeText text={e.value} /></strong>
                      {e.status !== 'pass' ? <span className={`badge ${e.status}`}>{e.status}</span> : null}
                    </li>
                  ))}
                </ul>
              </td>
              <td>
                <button type="button" className="link-button" data-testid="scorecard-link" data-to={r.link.to} onClick={() => onLink(r.link)}>
                  {linkLabel(r.link)}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Threshold fields: key, label, and whether it is a fraction shown in percent. */
export const THRESHOLD_FIELDS: { key: keyof Thresholds; label: string; percent: boolean }[] = [
  { key: 'second_review_share', label: 'Second-review share', percent: true },
  { key: 'reversible_pass', label: 'Reversible: pass at', percent: true },
  { key: 'reversible_warn', label: 'Reversible: warn down to', percent: true },
  { key: 'citation_coverage_pass', label: 'Citation coverage: pass at', percent: true },
  { key: 'citation_coverage_warn', label: 'Citation coverage: warn down to', percent: true },
  { key: 'stale_citation_max', label: 'Stale citations: max', percent: true },
  { key: 'cost_increase_max', label: 'Cost per success increase: max', percent: true },
  { key: 'escalation_band', label: 'Escalation band (points)', percent: true },
  { key: 'disagreement_max', label: 'Disagreement rate: max', percent: true },
  { key: 'correction_max', label: 'Correction rate: max', percent: true },
  { key: 'too_fast_max', label: 'Too-fast share: max', percent: true },
  { key: 'sync_gap_hours', label: 'Sync gap (hours)', percent: false },
];

/** Form text → thresholds; a message naming the first bad field otherwise. */
export function parseThresholds(draft: Record<string, string>, base: Thresholds): Thresholds | string {
  const out: Thresholds = { ...base };
  for (const f of THRESHOLD_FIELDS) {
    const raw = (draft[f.key] ?? '').trim();
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n) || n < 0) return `${f.label}: enter a number ≥ 0`;
    out[f.key] = f.percent ? n / 100 : n;
  }
  return out;
}

function toDraft(t: Thresholds): Record<string, string> {
  const d: Record<string, string> = {};
  for (const f of THRESHOLD_FIELDS) d[f.key] = f.percent ? String(Math.round(t[f.key] * 10_000) / 100) : String(t[f.key]);
  return d;
}

/** The thresholds, editable by an admin (saved with before → after in the audit trail). */
export function ThresholdsForm({ thresholds, canEdit, onSaved }: { thresholds: Thresholds; canEdit: boolean; onSaved: (t: Thresholds) => void }) {
  const report = useReportError();
  const [draft, setDraft] = useState(() => toDraft(thresholds));
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const save = () => {
    const t = parseThresholds(draft, thresholds);
    if (typeof t === 'string') {
      setError(t);
      return;
    }
    setError(null);
    setSaving(true);
    setReadinessThresholds(t)
      .then(onSaved)
      .catch((e) => report(e, 'set_readiness_thresholds'))
      .finally(() => setSaving(false));
  };
  return (
    <form
      className="detail-section"
      data-testid="readiness-thresholds"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <h3>Thresholds</h3>
      {!canEdit ? <p className="muted small" data-testid="thresholds-readonly">Only an admin can change the thresholds.</p> : null}
      <table className="table">
        <tbody>
          {THRESHOLD_FIELDS.map((f) => (
            <tr key={f.key}>
              <th>
                <label htmlFor={`th-${f.key}`}>{f.label}</label>
              </th>
              <td>
                <input
                  id={`th-${f.key}`}
                  type="text"
                  inputMode="decimal"
                  data-testid={`threshold-${f.key}`}
                  value={draft[f.key] ?? ''}
                  disabled={!canEdit}
                  onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}
                />{' '}
                {f.percent ? '%' : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error ? (
        <p className="warn-text" role="alert" data-testid="thresholds-error">
          {error}
        </p>
      ) : null}
      {canEdit ? (
        <button type="submit" className="btn primary" data-testid="thresholds-save" disabled={saving}>
          Save thresholds
        </button>
      ) : null}
    </form>
  );
}

/** Every workflow's readiness scorecard, the export and the thresholds. */
export function Readiness({ from, to, canEdit, onLink }: { from: string; to: string; canEdit: boolean; onLink: (l: Link) => void }) {
  const report = useReportError();
  const cards = useLoad(
    async () => {
      const wfs = await readinessWorkflows(from, to);
      return Promise.all(wfs.map((w) => readinessScorecard(w, from, to)));
    },
    `${from}|${to}`,
    'readiness_scorecard',
  );
  const thresholds = useLoad(getReadinessThresholds, 'thresholds', 'get_readiness_thresholds');
  const [exported, setExported] = useState<{ format: string; text: string } | null>(null);
  const doExport = (format: 'json' | 'csv') =>
    exportScorecards(format, from, to)
      .then((text) => setExported({ format, text }))
      .catch((e) => report(e, 'export_scorecards'));
  return (
    <section className="detail-section" data-testid="readiness">
      <h2>Readiness</h2>
      <div className="filters">
        <button type="button" className="btn small" data-testid="readiness-export-json" onClick={() => void doExport('json')}>
          Export JSON
        </button>
        <button type="button" className="btn small" data-testid="readiness-export-csv" onClick={() => void doExport('csv')}>
          Export CSV
        </button>
      </div>
      {exported ? (
        <div data-testid="readiness-export" data-format={exported.format}>
          <p className="small muted">Scorecards as {exported.format.toUpperCase()} (select and copy):</p>
          <textarea readOnly rows={8} className="export-text" value={exported.text} />
        </div>
      ) : null}
      {cards.data && cards.data.length === 0 ? <p className="muted">No workflow had runs or decisions in the period.</p> : null}
      {(cards.data ?? []).map((c) => (
        <div key={c.workflow}>
          <ScorecardTable card={c} onLink={onLink} />
          <AutonomyPanel card={c} onChanged={() => cards.reload()} />
        </div>
      ))}
      {thresholds.data ? (
        <ThresholdsForm
          key={JSON.stringify(thresholds.data)}
          thresholds={thresholds.data}
          canEdit={canEdit}
          onSaved={() => {
            thresholds.reload();
            cards.reload();
          }}
        />
      ) : null}
    </section>
  );
}
