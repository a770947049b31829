// Pure helpers of the trust view: how its numbers read and which decisions each one opens.
import type { Dimension, Metric, TrustStats, TtdBin } from '../../api/types';

/** A rate (0..1) as a percentage, '—' when there was nothing to divide by. */
export function pct(r: number | null | undefined): string {
  return r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`;
}

/** A duration in ms, short: 850 ms, 12 s, 3.5 min, 2.0 h. */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${Math.round(v / 1000)} s`;
  if (v < 3_600_000) return `${(v / 60_000).toFixed(1)} min`;
  return `${(v / 3_600_000).toFixed(1)} h`;
}

/** A time-to-decide bin's label: "10 s – 30 s", "≥ 1.0 h". */
export function binLabel(b: TtdBin): string {
  return b.to_ms === null ? `≥ ${ms(b.from_ms)}` : `${ms(b.from_ms)} – ${ms(b.to_ms)}`;
}

/** The decisions a time-to-decide bin opens: all of them, or only its too-fast ones. */
export function binMetric(b: TtdBin, tooFast = false): Metric {
  return { metric: tooFast ? 'too_fast_to_decide' : 'time_to_decide', from_ms: b.from_ms, to_ms: b.to_ms };
}

/** One clickable column of the report tables: what it shows and the decisions it opens. */
export interface Column {
  id: string;
  label: string;
  /** The count shown (clickable). */
  count: (s: TrustStats) => number;
  /** A rate shown next to it, if one. */
  rate?: (s: TrustStats) => string;
  metric: Metric;
}

export const COLUMNS: Column[] = [
  { id: 'decisions', label: 'Decisions', count: (s) => s.decisions, metric: { metric: 'all' } },
  { id: 'approve', label: 'Approved', count: (s) => s.approve, metric: { metric: 'kind', kind: 'approve' } },
  { id: 'approve_with_edits', label: 'With edits', count: (s) => s.approve_with_edits, metric: { metric: 'kind', kind: 'approve_with_edits' } },
  { id: 'deny', label: 'Denied', count: (s) => s.deny, metric: { metric: 'kind', kind: 'deny' } },
  { id: 'escalate', label: 'Escalated', count: (s) => s.escalate, rate: (s) => pct(s.escalation_rate), metric: { metric: 'kind', kind: 'escalate' } },
  { id: 'expired', label: 'Expired', count: (s) => s.expired, metric: { metric: 'kind', kind: 'expired' } },
  { id: 'corrected', label: 'Corrected', count: (s) => s.corrected, rate: (s) => pct(s.correction_rate), metric: { metric: 'corrected' } },
  { id: 'too_fast', label: 'Too fast', count: (s) => s.too_fast, rate: (s) => pct(s.too_fast_rate), metric: { metric: 'too_fast' } },
  { id: 'citation_opened', label: 'Opened citations', count: (s) => s.with_citation_opens, rate: (s) => `${s.citation_opens_per_decision === null ? '—' : s.citation_opens_per_decision.toFixed(2)}/decision`, metric: { metric: 'citation_opened' } },
  { id: 'rolled_back', label: 'Rolled back', count: (s) => s.rolled_back, metric: { metric: 'rolled_back' } },
  { id: 'second_reviewed', label: 'Second reviews', count: (s) => s.second_reviews, metric: { metric: 'second_reviewed' } },
  { id: 'disagreed', label: 'Disagreements', count: (s) => s.disagreements, rate: (s) => pct(s.disagreement_rate), metric: { metric: 'disagreed' } },
];

export const DIMENSIONS: { id: Dimension; label: string }[] = [
  { id: 'workflow', label: 'Per workflow' },
  { id: 'action_kind', label: 'Per action kind' },
  { id: 'reviewer', label: 'Per reviewer' },
  { id: 'week', label: 'Per week' },
];

/** What a drill-down was opened from, as a heading. */
export function metricLabel(m: Metric): string {
  switch (m.metric) {
    case 'all':
      return 'All decisions';
    case 'kind':
      return COLUMNS.find((c) => c.metric.metric === 'kind' && c.metric.kind === m.kind)?.label ?? m.kind;
    case 'corrected':
      return m.field ? `Corrected field ${m.field}` : 'Corrected';
    case 'time_to_decide':
      return `Time to decide ${binLabel({ from_ms: m.from_ms, to_ms: m.to_ms, count: 0, too_fast: 0 })}`;
    case 'auto_executed':
      return `Executed without review${m.level ? ` (${m.level})` : ''}`;
    case 'too_fast_to_decide':
      return `Too fast, time to decide ${binLabel({ from_ms: m.from_ms, to_ms: m.to_ms, count: 0, too_fast: 0 })}`;
    default:
      return COLUMNS.find((c) => c.metric.metric === m.metric)?.label ?? m.metric;
  }
}

/** `[from, to)` of the last `weeks` weeks up to `now`, RFC 3339. */
export function periodOf(weeks: number, now: Date): { from: string; to: string } {
  return { from: new Date(now.getTime() - weeks * 7 * 86_400_000).toISOString(), to: now.toISOString() };
}
