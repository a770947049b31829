// The failure-bucketing rules' tunables: the confidence cut (default and per workflow) and the
// margin under it that counts as "just under the cut" (bad threshold). Admins edit them; the
// Rust side checks the role again and records before → after in the audit trail.
import { useState } from 'react';
import { failures } from '../../api';
import type { FailureRules } from '../../api/types';
import { useReportError } from '../../app/errors';
import { useLoad } from '../../app/useLoad';

/** The form's text fields. */
export interface RulesDraft {
  defaultCut: string;
  margin: string;
  /** One `workflow: cut %` per line. */
  cuts: string;
}

const pct = (v: number) => String(Math.round(v * 10_000) / 100);

/** Rules → form text (fractions shown in percent). */
export function rulesDraft(r: FailureRules): RulesDraft {
  return {
    defaultCut: pct(r.default_cut),
    margin: pct(r.margin),
    cuts: Object.entries(r.cuts)
      .map(([w, c]) => `${w}: ${pct(c)}`)
      .join('\n'),
  };
}

/** Form text → rules; a message naming the first bad entry otherwise. */
export function parseRules(d: RulesDraft): FailureRules | string {
  const percent = (label: string, raw: string): number | string => {
    const t = raw.trim();
    const n = Number(t);
    if (t === '' || !Number.isFinite(n) || n < 0 || n > 100) return `${label}: enter a percentage from 0 to 100`;
    return n / 100;
  };
  const defaultCut = percent('Default cut', d.defaultCut);
  if (typeof defaultCut === 'string') return defaultCut;
  const margin = percent('Margin', d.margin);
  if (typeof margin === 'string') return margin;
  const cuts: Record<string, number> = {};
  const lines = d.cuts.split('\n').map((l) => l.trim());
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    const at = line.lastIndexOf(':');
    const workflow = at > 0 ? line.slice(0, at).trim() : '';
    if (!workflow) return `Line ${i + 1}: write "workflow: cut %"`;
    const cut = percent(`Cut of ${workflow}`, line.slice(at + 1));
    if (typeof cut === 'string') return cut;
    if (workflow in cuts) return `Line ${i + 1}: ${workflow} has a cut already`;
    cuts[workflow] = cut;
  }
  return { default_cut: defaultCut, margin, cuts };
}

/** A labelled percentage input of the form. */
function PercentField(p: { label: string; testId: string; value: string; disabled: boolean; onChange: (v: string) => void }) {
  return (
    <label>
      {p.label}{' '}
      <input type="text" inputMode="decimal" data-testid={p.testId} value={p.value} disabled={p.disabled} onChange={(e) => p.onChange(e.target.value)} /> %
    </label>
  );
}

/** The editor as shown, once the rules are loaded. */
export function RulesEditor({ rules, canEdit, onSaved }: { rules: FailureRules; canEdit: boolean; onSaved: (r: FailureRules) => void }) {
  const report = useReportError();
  const [draft, setDraft] = useState<RulesDraft>(() => rulesDraft(rules));
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const save = () => {
    const r = parseRules(draft);
    if (typeof r === 'string') {
      setError(r);
      return;
    }
    setError(null);
    setSaving(true);
    failures
      .setRules(r)
      .then(onSaved)
      .catch((e) => report(e, 'set_failure_rules'))
      .finally(() => setSaving(false));
  };
  return (
    <form
      className="detail-section failure-rules"
      data-testid="failure-rules"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <h2>Bucketing rules</h2>
      <p className="muted small">
        A confidence at most the margin under its workflow&apos;s cut suggests <em>bad threshold</em>. Saving queues every reviewed run for a new
        suggestion; buckets an operator set stay.
      </p>
      {!canEdit ? (
        <p className="muted small" data-testid="failure-rules-readonly">
          Only an admin can change the rules.
        </p>
      ) : null}
      <PercentField label="Default cut" testId="failure-rules-default-cut" value={draft.defaultCut} disabled={!canEdit} onChange={(v) => setDraft({ ...draft, defaultCut: v })} />{' '}
      <PercentField label="Margin" testId="failure-rules-margin" value={draft.margin} disabled={!canEdit} onChange={(v) => setDraft({ ...draft, margin: v })} />
      <label className="failure-rules-cuts">
        Cuts per workflow (one <code>workflow: cut %</code> per line)
        <textarea
          rows={3}
          data-testid="failure-rules-cuts"
          value={draft.cuts}
          disabled={!canEdit}
          onChange={(e) => setDraft({ ...draft, cuts: e.target.value })}
        />
      </label>
      {error ? (
        <p className="warn-text" role="alert" data-testid="failure-rules-error">
          {error}
        </p>
      ) : null}
      {canEdit ? (
        <button type="submit" className="btn primary" data-testid="failure-rules-save" disabled={saving}>
          Save rules
        </button>
      ) : null}
    </form>
  );
}

/** Loads the rules and shows the editor. */
export function RulesForm({ canEdit, onSaved }: { canEdit: boolean; onSaved: () => void }) {
  const rules = useLoad(failures.getRules, 'failure-rules', 'get_failure_rules');
  if (!rules.data) return null;
  return (
    <RulesEditor
      key={JSON.stringify(rules.data)}
      rules={rules.data}
      canEdit={canEdit}
      onSaved={() => {
        rules.reload();
        onSaved();
      }}
    />
  );
}
