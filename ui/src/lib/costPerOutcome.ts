// Cost per outcome over a window, from get_overview's day points: cost per successful run,
// per escalation and per failure (fail + budget_stopped), by workflow or by model. Integer
// micros with BigInt math; the division truncates like the store's cost_per_success.
import type { DayPoint, Micros } from '../api/types';

export interface OutcomeCost {
  key: string;
  runs: number;
  successes: number;
  escalations: number;
  failures: number;
  cost_micros: Micros;
  per_success: Micros | null;
  per_escalation: Micros | null;
  per_failure: Micros | null;
}

/** `cost / count` in integer micros (truncated), or null when nothing happened. */
export function costPer(cost: Micros | bigint, count: number): Micros | null {
  if (!Number.isInteger(count) || count <= 0) return null;
  const c = typeof cost === 'bigint' ? cost : BigInt(cost);
  return Number(c / BigInt(count));
}

interface Acc {
  runs: number;
  successes: number;
  escalations: number;
  failures: number;
  cost: bigint;
}

function finish(key: string, a: Acc): OutcomeCost {
  return {
    key,
    runs: a.runs,
    successes: a.successes,
    escalations: a.escalations,
    failures: a.failures,
    cost_micros: Number(a.cost),
    per_success: costPer(a.cost, a.successes),
    per_escalation: costPer(a.cost, a.escalations),
    per_failure: costPer(a.cost, a.failures),
  };
}

function add(a: Acc, p: DayPoint): void {
  a.runs += p.runs;
  a.successes += p.successes;
  a.escalations += p.escalations;
  a.failures += p.failures;
  a.cost += BigInt(p.cost_micros);
}

const empty = (): Acc => ({ runs: 0, successes: 0, escalations: 0, failures: 0, cost: 0n });

/** One row per workflow or model, most expensive first (ties by name). */
export function costPerOutcome(points: readonly DayPoint[], by: 'workflow' | 'model'): OutcomeCost[] {
  const groups = new Map<string, Acc>();
  for (const p of points) {
    const k = p[by];
    let a = groups.get(k);
    if (!a) groups.set(k, (a = empty()));
    add(a, p);
  }
  return [...groups.entries()]
    .map(([k, a]) => finish(k, a))
    .sort((x, y) => y.cost_micros - x.cost_micros || x.key.localeCompare(y.key));
}

/** All points together. */
export function costPerOutcomeTotal(points: readonly DayPoint[]): OutcomeCost {
  const a = empty();
  for (const p of points) add(a, p);
  return finish('all', a);
}
