import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { RunSummary } from '../../api';
import { OutcomeBadge } from '../../components/Badges';
import { Money } from '../../components/Money';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';
import { formatDuration } from '../../lib/time';

export function RunTable({
  runs,
  backendName,
  onOpen,
  focusRunId,
}: {
  runs: RunSummary[];
  backendName: (id: string) => string;
  onOpen: (r: RunSummary) => void;
  focusRunId: string | null;
}) {
  const body = useRef<HTMLTableSectionElement>(null);

  useEffect(() => {
    if (!focusRunId || !body.current) return;
    const rows = body.current.querySelectorAll<HTMLTableRowElement>('tr[data-run-id]');
    for (const row of rows) {
      if (row.dataset.runId === focusRunId) {
        row.focus();
        break;
      }
    }
  }, [focusRunId, runs]);

  const onKey = (e: KeyboardEvent<HTMLTableRowElement>, r: RunSummary) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      onOpen(r);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = e.key === 'ArrowDown' ? e.currentTarget.nextElementSibling : e.currentTarget.previousElementSibling;
      if (next instanceof HTMLElement) next.focus();
    }
  };

  return (
    <div className="table-wrap">
      <table className="grid runs">
        <thead>
          <tr>
            <th>Time</th>
            <th>Backend</th>
            <th>Workflow</th>
            <th title="Workflow version">Ver.</th>
            <th>User</th>
            <th>Model</th>
            <th>Outcome</th>
            <th>Decision</th>
            <th className="num">Cost</th>
            <th className="num">Latency</th>
            <th className="num" title="Tool calls">Calls</th>
            <th className="num" title="Failed policy checks">Pol ✗</th>
            <th className="num" title="Citations of deprecated or stale sources">Cit ⚠</th>
          </tr>
        </thead>
        <tbody ref={body}>
          {runs.map((r) => (
            <tr
              key={`${r.backend_id}/${r.run_id}`}
              data-testid="run-row"
              data-run-id={r.run_id}
              data-backend-id={r.backend_id}
              tabIndex={0}
              className="clickable"
              onClick={() => onOpen(r)}
              onKeyDown={(e) => onKey(e, r)}
            >
              <td data-col="time">
                <TimeText value={r.started_at} compact />
              </td>
              <td data-col="backend">
                <SafeText text={backendName(r.backend_id)} />
              </td>
              <td data-col="workflow">
                <SafeText text={r.workflow} />
              </td>
              <td data-col="workflow_version" className="muted">
                <SafeText text={r.workflow_version} />
              </td>
              <td data-col="user">
                <SafeText text={r.user_id} />
              </td>
              <td data-col="model">
                <SafeText text={r.model} />
              </td>
              <td data-col="outcome">
                <OutcomeBadge outcome={r.outcome} />
              </td>
              <td data-col="decision">
                <SafeText text={r.decision} />
              </td>
              <td data-col="cost" className="num">
                <Money micros={r.cost_micros} />
              </td>
              <td data-col="latency" className="num">
                {formatDuration(r.latency_ms)}
              </td>
              <td data-col="tool_calls" className="num">
                {r.tool_calls}
              </td>
              <td data-col="policy_failures" className={`num ${r.policy_failures > 0 ? 'warn-text' : 'muted'}`}>
                {r.policy_failures}
              </td>
              <td data-col="citation_warnings" className={`num ${r.citation_warnings > 0 ? 'warn-text' : 'muted'}`}>
                {r.citation_warnings}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
