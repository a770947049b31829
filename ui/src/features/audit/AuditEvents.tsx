import { useMemo, useState } from 'react';
import { listAudit } from '../../api/governance';
import { AUDIT_KINDS } from '../../api/types';
import { useLoad } from '../../app/useLoad';
import { JsonBlock } from '../../components/JsonBlock';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import type { Budget } from '../../api/types';
import { diffBudgets } from '../../lib/budgetDiff';
import { settingsDiff } from '../../lib/settingsDiff';
import { localInputToRfc3339 } from '../../lib/viewState';
import { Clipped, LongText } from '../../components/Clipped';

function isBudgetList(v: unknown): v is Budget[] {
  return Array.isArray(v) && v.every((b) => !!b && typeof b === 'object' && typeof (b as Budget).budget_id === 'string' && !!(b as Budget).scope && !!(b as Budget).limits);
}

/** Before → after of a settings change (backend added, replaced, edited, removed; price table). */
function SettingsChangeSummary({ details }: { details: unknown }) {
  const changes = settingsDiff(details);
  if (!changes || changes.length === 0) return null;
  return (
    <ul className="settings-change" data-testid="settings-change">
      {changes.map((c) => (
        <li key={c.field}>
          <Clipped text={c.field} max={60} />: <LongText text={c.before} max={300} /> → <LongText text={c.after} max={300} />
        </li>
      ))}
    </ul>
  );
}

/** For budget changes: the before → after in words, above the raw details. */
function BudgetChangeSummary({ details }: { details: unknown }) {
  const d = details as { before?: unknown; after?: unknown } | null;
  if (!d || typeof d !== 'object' || !isBudgetList(d.before) || !isBudgetList(d.after)) return null;
  const diff = diffBudgets(d.before, d.after);
  return (
    <ul className="plain-list audit-diff" data-testid="audit-budget-diff">
      {diff.length === 0 ? <li className="muted">no change</li> : null}
      {diff.map((x) => (
        <li key={`${x.kind}:${x.budget_id}`}>
          {x.kind} <Clipped text={x.label} max={120} />
          {x.kind === 'changed'
            ? x.fields.map((f) => (
                <span key={f.field}>
                  {'; '}
                  <SafeText text={`${f.field}: ${f.before} → ${f.after}`} />
                </span>
              ))
            : null}
        </li>
      ))}
    </ul>
  );
}

const LIMITS = [100, 500, 1000, 5000] as const;

/** The trail, newest first, filtered by kind and time range. */
export function AuditEvents({ nonce }: { nonce: number }) {
  const [kind, setKind] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [limit, setLimit] = useState<number>(500);
  const fromIso = from ? localInputToRfc3339(from) : null;
  const toIso = to ? localInputToRfc3339(to) : null;
  const { data, loading } = useLoad(
    () => listAudit(fromIso, toIso, limit),
    `audit|${fromIso}|${toIso}|${limit}|${nonce}`,
    'list_audit',
  );
  const events = useMemo(() => (data ?? []).filter((e) => !kind || e.kind === kind), [data, kind]);
  const kinds = useMemo(() => {
    const seen = new Set<string>(AUDIT_KINDS);
    for (const e of data ?? []) seen.add(e.kind);
    return [...seen];
  }, [data]);

  return (
    <section className="detail-section" data-testid="audit-events">
      <h2>Events</h2>
      <div className="filters-row">
        <label className="field-inline">
          Kind{' '}
          <select data-testid="audit-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">all</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {k.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <label className="field-inline">
          From <input type="datetime-local" data-testid="audit-from" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="field-inline">
          To <input type="datetime-local" data-testid="audit-to" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <label className="field-inline">
          Newest{' '}
          <select data-testid="audit-limit" value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {LIMITS.map((l) => (
              <option key={l} value={l}>
                {l.toLocaleString('en-US')}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small" data-testid="audit-count">
          {data ? `${events.length} event${events.length === 1 ? '' : 's'}${kind ? ` of kind ${kind}` : ''} (of the newest ${data.length} in range)` : ''}
        </span>
      </div>
      {loading && !data ? <p className="muted">Loading…</p> : null}
      {data && events.length === 0 ? <p className="empty">No events match.</p> : null}
      {events.length > 0 ? (
        <div className="table-wrap">
          <table className="grid audit-table">
            <thead>
              <tr>
                <th className="num">Seq</th>
                <th>Time</th>
                <th>Actor</th>
                <th>Kind</th>
                <th>Subject</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.seq} data-testid="audit-row" data-seq={e.seq} data-kind={e.kind}>
                  <td className="num" title={`hash ${e.hash}\nprev ${e.prev_hash}`}>
                    {e.seq}
                  </td>
                  <td data-col="at">
                    <TimeText value={e.at} compact />
                  </td>
                  <td data-col="actor">
                    <Clipped text={e.actor} max={60} />
                  </td>
                  <td data-col="kind">
                    <span className={`badge kind-${e.kind}`}>{e.kind.replace(/_/g, ' ')}</span>
                  </td>
                  <td data-col="subject" className="wrap">
                    <Clipped text={e.subject} max={120} expandable />
                  </td>
                  <td data-col="details" className="wrap details">
                    {e.kind === 'budget_change' ? <BudgetChangeSummary details={e.details} /> : <SettingsChangeSummary details={e.details} />}
                    <JsonBlock value={e.details} label={`details of event ${e.seq}`} collapsible />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
