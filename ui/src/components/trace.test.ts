import { describe, expect, it } from 'vitest';
import type { ToolCall } from '../api';
import { buildTrace, timelineBar } from './trace';

function call(call_id: string, parent_id: string | null, start: string, end: string | null): ToolCall {
  return {
    call_id,
    parent_id,
    tool: 't',
    arguments: {},
    started_at: `2026-11-25T15:00:${start}Z`,
    ended_at: end ? `2026-11-25T15:00:${end}Z` : null,
    cost_micros: 0,
    documents: [],
  };
}

describe('buildTrace', () => {
  it('nests by parent_id depth-first in recorded order', () => {
    const t = buildTrace([
      call('a', null, '00', '02'),
      call('b', null, '02', '04'),
      call('a1', 'a', '00', '01'),
      call('a1x', 'a1', '00', '01'),
      call('a2', 'a', '01', '02'),
    ]);
    expect(t.rows.map((r) => `${r.call.call_id}@${r.depth}`)).toEqual(['a@0', 'a1@1', 'a1x@2', 'a2@1', 'b@0']);
    expect(t.rows[0]?.durationMs).toBe(2000);
  });

  it('shows unknown parents and cycles at top level, every call once', () => {
    const t = buildTrace([call('x', 'missing', '00', '01'), call('p', 'q', '00', '01'), call('q', 'p', '01', '02')]);
    expect(t.rows).toHaveLength(3);
    expect(t.rows[0]).toMatchObject({ depth: 0, orphan: true });
  });

  it('computes shared timeline bars', () => {
    const calls = [call('a', null, '00', '10'), call('b', null, '05', null)];
    const t = buildTrace(calls);
    expect(timelineBar(calls[0]!, t.t0, t.t1)).toEqual({ left: 0, width: 100 });
    expect(timelineBar(calls[1]!, t.t0, t.t1)).toEqual({ left: 50, width: 50 });
  });
});
