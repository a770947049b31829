import type { ToolCall } from '../api';
import { parseTime } from '../lib/time';

export interface TraceRow {
  call: ToolCall;
  depth: number;
  /** The call names a parent that is not in the run (or forms a cycle); shown at top level. */
  orphan: boolean;
  durationMs: number | null;
}

export interface Trace {
  rows: TraceRow[];
  /** Shared timeline bounds in epoch ms (null when no call has a parseable start). */
  t0: number | null;
  t1: number | null;
}

/**
 * Orders calls depth-first by parent_id, keeping the recorded order among siblings. Unknown
 * parents and cycles fall back to top level so every call is shown exactly once.
 */
export function buildTrace(calls: ToolCall[]): Trace {
  const ids = new Set(calls.map((c) => c.call_id));
  const children = new Map<string, ToolCall[]>();
  const roots: { call: ToolCall; orphan: boolean }[] = [];
  for (const c of calls) {
    const p = c.parent_id;
    if (p && p !== c.call_id && ids.has(p)) {
      const list = children.get(p) ?? [];
      list.push(c);
      children.set(p, list);
    } else {
      roots.push({ call: c, orphan: !!p });
    }
  }
  const rows: TraceRow[] = [];
  const seen = new Set<ToolCall>();
  const visit = (call: ToolCall, depth: number, orphan: boolean) => {
    if (seen.has(call)) return;
    seen.add(call);
    rows.push({ call, depth, orphan, durationMs: callDuration(call) });
    for (const child of children.get(call.call_id) ?? []) visit(child, depth + 1, false);
  };
  for (const r of roots) visit(r.call, 0, r.orphan);
  // Calls only reachable through a cycle.
  for (const c of calls) if (!seen.has(c)) visit(c, 0, true);

  let t0: number | null = null;
  let t1: number | null = null;
  for (const c of calls) {
    const s = parseTime(c.started_at)?.getTime();
    const e = parseTime(c.ended_at ?? null)?.getTime() ?? s;
    if (s === undefined) continue;
    t0 = t0 === null ? s : Math.min(t0, s);
    const end = e ?? s;
    t1 = t1 === null ? end : Math.max(t1, end);
  }
  return { rows, t0, t1 };
}

export function callDuration(c: ToolCall): number | null {
  const s = parseTime(c.started_at);
  const e = parseTime(c.ended_at ?? null);
  if (!s || !e) return null;
  return Math.max(0, e.getTime() - s.getTime());
}

/** Bar position on the shared timeline, in percent. Running calls extend to the end. */
export function timelineBar(c: ToolCall, t0: number | null, t1: number | null): { left: number; width: number } | null {
  const s = parseTime(c.started_at)?.getTime();
  if (s === undefined || t0 === null || t1 === null) return null;
  const e = parseTime(c.ended_at ?? null)?.getTime() ?? t1;
  const span = Math.max(1, t1 - t0);
  const left = ((s - t0) / span) * 100;
  const width = Math.max(0.5, ((Math.max(e, s) - s) / span) * 100);
  return { left: clamp(left), width: Math.min(width, 100 - clamp(left)) || 0.5 };
}

function clamp(n: number): number {
  return Math.min(100, Math.max(0, n));
}
