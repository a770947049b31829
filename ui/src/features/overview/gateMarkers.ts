// The readiness gate on the Overview's model-change markers: a workflow's latest model change
// in the window is marked "changed without eval" while no eval of its new configuration passed
// (the scorecard's eval_gate row fails), or "eval passed" once one did.
import type { WorkflowGate } from '../../api/types';
import type { Marker } from '../../lib/overviewSeries';

export type GateState = 'without_eval' | 'eval_passed';

/** A model-change marker with the gate of the change, when it is the workflow's current one. */
export interface GatedMarker extends Marker {
  gate?: GateState;
  /** The passing eval, for `eval_passed`. */
  evalId?: string;
}

export const WITHOUT_EVAL = 'changed without eval';

/**
 * `markers` with each workflow's latest change marked by its gate: only a change to the model
 * the workflow now runs (the gate's current configuration, changed from an earlier one) is
 * judged; older changes and workflows without a gate stay as they are.
 */
export function withGates(markers: Marker[], gates: WorkflowGate[]): GatedMarker[] {
  const latest = new Map<string, number>();
  markers.forEach((m, i) => {
    const j = latest.get(m.workflow);
    if (j === undefined || (markers[j]?.day ?? -Infinity) <= m.day) latest.set(m.workflow, i);
  });
  return markers.map((m, i) => {
    if (latest.get(m.workflow) !== i) return m;
    const g = gates.find((x) => x.workflow === m.workflow)?.gate;
    if (!g || !g.current || !g.changed_at || g.current.model !== m.to) return m;
    if (g.passing_eval) return { ...m, gate: 'eval_passed', evalId: g.passing_eval };
    return { ...m, gate: 'without_eval', label: `${m.label} — ${WITHOUT_EVAL}` };
  });
}
