// The readiness gate on the Overview's change markers. A workflow's latest configuration change
// (whatever changed: workflow version, model, prompt or retrieval label) is judged: marked
// "changed without eval" while no eval of its new configuration passed (the scorecard's
// eval_gate row fails), or "eval passed" once one did, and labelled with what changed. A change
// the model-change markers do not show (a prompt-only or retrieval-only change, or a version
// change) gets a marker of its own on the day it happened.
import type { ConfigLabel, WorkflowGate } from '../../api/types';
import { type Marker, utcDay } from '../../lib/overviewSeries';

export type GateState = 'without_eval' | 'eval_passed';

/** One label of a configuration that changed. */
export interface ConfigChange {
  what: 'version' | 'model' | 'prompt' | 'retrieval';
  from: string;
  to: string;
}

/** A change marker with the gate of the change, when it is the workflow's current one. */
export interface GatedMarker extends Marker {
  gate?: GateState;
  /** The passing eval, for `eval_passed`. */
  evalId?: string;
  /** What changed, for a judged change. */
  changes?: ConfigChange[];
}

export const WITHOUT_EVAL = 'changed without eval';

const LABELS: ConfigChange['what'][] = ['version', 'model', 'prompt', 'retrieval'];
const KEY: Record<ConfigChange['what'], keyof ConfigLabel> = {
  version: 'version',
  model: 'model',
  prompt: 'prompt',
  retrieval: 'retrieval',
};

/** The labels that differ between `before` and `after`, in a fixed order. */
export function configChanges(before: ConfigLabel, after: ConfigLabel): ConfigChange[] {
  return LABELS.filter((w) => (before[KEY[w]] ?? '') !== (after[KEY[w]] ?? '')).map((w) => ({
    what: w,
    from: before[KEY[w]] ?? '',
    to: after[KEY[w]] ?? '',
  }));
}

/** "prompt refund-v7 → refund-v8, retrieval none → kb-11". */
export function changeText(changes: ConfigChange[]): string {
  return changes.map((c) => `${c.what} ${c.from || 'none'} → ${c.to || 'none'}`).join(', ');
}

/**
 * `markers` with each workflow's latest configuration change judged by its gate. `days` are the
 * window's UTC midnights (epoch ms), oldest first. A gate whose change falls on the day of the
 * workflow's latest model marker (or whose model that later marker switched to) judges that
 * marker; a change the markers do not show is added as a marker on its day when the day is in
 * the window. Older changes and workflows without a change stay as they are.
 */
export function withGates(markers: Marker[], gates: WorkflowGate[], days: number[]): GatedMarker[] {
  const latest = new Map<string, number>();
  markers.forEach((m, i) => {
    const j = latest.get(m.workflow);
    if (j === undefined || (markers[j]?.day ?? -Infinity) <= m.day) latest.set(m.workflow, i);
  });
  const index = new Map(days.map((d, i) => [d, i]));
  const out: GatedMarker[] = markers.map((m) => ({ ...m }));
  const added: GatedMarker[] = [];
  for (const { workflow, gate: g } of gates) {
    if (!g.current || !g.changed_at || !g.previous) continue;
    const at = Date.parse(g.changed_at);
    if (Number.isNaN(at)) continue;
    const day = utcDay(at);
    const changes = configChanges(g.previous, g.current);
    if (changes.length === 0) continue;
    const text = `${workflow}: ${changeText(changes)}`;
    const judged: Pick<GatedMarker, 'gate' | 'evalId' | 'changes' | 'label'> = g.passing_eval
      ? { gate: 'eval_passed', evalId: g.passing_eval, changes, label: text }
      : { gate: 'without_eval', changes, label: `${text} — ${WITHOUT_EVAL}` };
    const i = latest.get(workflow);
    const m = i === undefined ? undefined : out[i];
    if (i !== undefined && m && (m.day === day || (m.day > day && m.to === g.current.model))) {
      out[i] = { ...m, ...judged };
      continue;
    }
    const at_index = index.get(day);
    if (at_index === undefined) continue;
    const first = changes[0];
    added.push({
      index: at_index,
      day,
      workflow,
      from: changes.length === 1 && first ? first.from : '',
      to: changes.length === 1 && first ? first.to : '',
      ...judged,
    });
  }
  return [...out, ...added].sort((a, b) => a.day - b.day || a.workflow.localeCompare(b.workflow));
}
