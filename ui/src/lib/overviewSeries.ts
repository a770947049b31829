// Shapes the `get_overview` roll-up into chart series. Money stays integer micros (BigInt sums,
// integer division for cost per success); only axis drawing turns it into pixels.
import type { Overview } from '../api/types';

export const DAY_MS = 86_400_000;

export interface Series {
  label: string;
  data: (number | null)[];
}

export interface Marker {
  /** Index into `days`. */
  index: number;
  /** The UTC day of the change (epoch ms). */
  day: number;
  workflow: string;
  from: string;
  to: string;
  label: string;
}

export interface OverviewSeries {
  /** UTC midnights (epoch ms), one per day of the window, oldest first. */
  days: number[];
  runsByWorkflow: Series[];
  /** Micros per day per "workflow · model". */
  costByWorkflowModel: Series[];
  /** Integer micros per successful run, per day per workflow; null on days without a success. */
  costPerSuccessByWorkflow: Series[];
  /** Percent of runs per day (all workflows); null on days without runs. */
  escalationRate: (number | null)[];
  failureRate: (number | null)[];
  markers: Marker[];
  totals: { runs: number; successes: number; escalations: number; failures: number; costMicros: number };
}

export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Every UTC day from the one holding `sinceMs` to the one holding `untilMs - 1`. */
export function dayRange(sinceMs: number, untilMs: number): number[] {
  const out: number[] = [];
  const last = utcDay(Math.max(sinceMs, untilMs - 1));
  for (let d = utcDay(sinceMs); d <= last && out.length < 1000; d += DAY_MS) out.push(d);
  return out;
}

function toSafe(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

export function shapeOverview(ov: Overview, sinceMs: number, untilMs: number): OverviewSeries {
  // Days from the window, plus any day the data has outside it (never drop data).
  const daySet = new Set(dayRange(sinceMs, untilMs));
  for (const p of ov.points) {
    const t = Date.parse(p.day);
    if (!Number.isNaN(t)) daySet.add(utcDay(t));
  }
  const days = [...daySet].sort((a, b) => a - b);
  const index = new Map(days.map((d, i) => [d, i]));
  const n = days.length;

  const runsWf = new Map<string, number[]>();
  const costWm = new Map<string, bigint[]>();
  const costWf = new Map<string, bigint[]>();
  const succWf = new Map<string, number[]>();
  const runsDay = new Array<number>(n).fill(0);
  const escDay = new Array<number>(n).fill(0);
  const failDay = new Array<number>(n).fill(0);
  const totals = { runs: 0, successes: 0, escalations: 0, failures: 0, costMicros: 0 };
  let totalCost = 0n;

  const row = <T,>(m: Map<string, T[]>, key: string, zero: T): T[] => {
    let r = m.get(key);
    if (!r) {
      r = new Array<T>(n).fill(zero);
      m.set(key, r);
    }
    return r;
  };

  for (const p of ov.points) {
    const t = Date.parse(p.day);
    if (Number.isNaN(t)) continue;
    const i = index.get(utcDay(t));
    if (i === undefined) continue;
    const cost = Number.isSafeInteger(p.cost_micros) ? BigInt(p.cost_micros) : 0n;
    const r = row(runsWf, p.workflow, 0);
    r[i] = (r[i] ?? 0) + p.runs;
    const c = row(costWm, `${p.workflow} · ${p.model}`, 0n);
    c[i] = (c[i] ?? 0n) + cost;
    const cw = row(costWf, p.workflow, 0n);
    cw[i] = (cw[i] ?? 0n) + cost;
    const s = row(succWf, p.workflow, 0);
    s[i] = (s[i] ?? 0) + p.successes;
    runsDay[i] = (runsDay[i] ?? 0) + p.runs;
    escDay[i] = (escDay[i] ?? 0) + p.escalations;
    failDay[i] = (failDay[i] ?? 0) + p.failures;
    totals.runs += p.runs;
    totals.successes += p.successes;
    totals.escalations += p.escalations;
    totals.failures += p.failures;
    totalCost += cost;
  }
  totals.costMicros = toSafe(totalCost);

  const sorted = <T,>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  const runsByWorkflow = sorted(runsWf).map(([label, data]) => ({ label, data: data.map((v) => v) }));
  const costByWorkflowModel = sorted(costWm).map(([label, data]) => ({ label, data: data.map(toSafe) }));
  const costPerSuccessByWorkflow = sorted(costWf).map(([label, data]) => {
    const succ = succWf.get(label) ?? [];
    return {
      label,
      data: data.map((cost, i) => {
        const s = succ[i] ?? 0;
        return s > 0 ? toSafe(cost / BigInt(s)) : null;
      }),
    };
  });
  const rate = (num: number[]) => runsDay.map((r, i) => (r > 0 ? ((num[i] ?? 0) / r) * 100 : null));

  const markers: Marker[] = [];
  for (const mc of ov.model_changes) {
    const t = Date.parse(mc.day);
    if (Number.isNaN(t)) continue;
    const i = index.get(utcDay(t));
    if (i === undefined) continue;
    markers.push({ index: i, day: utcDay(t), workflow: mc.workflow, from: mc.from, to: mc.to, label: `${mc.workflow}: ${mc.from} → ${mc.to}` });
  }

  return {
    days,
    runsByWorkflow,
    costByWorkflowModel,
    costPerSuccessByWorkflow,
    escalationRate: rate(escDay),
    failureRate: rate(failDay),
    markers,
    totals,
  };
}

/** The window [since, until) for "last N days": from the start of the user's local day N-1 days ago, to now. */
export function windowBounds(days: number, now: Date = new Date()): { since: Date; until: Date } {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
  return { since: start, until: now };
}
