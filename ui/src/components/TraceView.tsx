import type { ToolCall } from '../api';
import { Highlighted, useSearchTerms } from './Highlighted';
import { prettyJson } from '../lib/json';
import { hasMatch } from '../lib/searchHighlight';
import { JsonBlock } from './JsonBlock';
import { Money } from './Money';
import { SafeText } from './SafeText';
import { TimeText } from './TimeText';
import { formatDuration } from '../lib/time';
import { buildTrace, timelineBar } from './trace';

/** Tool calls in order, nested by parent_id, each with a bar on a shared timeline. */
export function TraceView({ calls }: { calls: ToolCall[] }) {
  const terms = useSearchTerms();
  if (calls.length === 0) return <p className="muted">No tool calls.</p>;
  const trace = buildTrace(calls);
  // Short traces open fully; long ones start collapsed to one line per call.
  const openAll = calls.length <= 12;
  const span = trace.t0 !== null && trace.t1 !== null ? trace.t1 - trace.t0 : null;
  return (
    <div className="trace">
      <div className="trace-scale muted">
        <span>0</span>
        <span>timeline {span !== null ? formatDuration(span) : '—'}</span>
      </div>
      <ol className="trace-list">
        {trace.rows.map(({ call: c, depth, orphan, durationMs }, i) => {
          const bar = timelineBar(c, trace.t0, trace.t1);
          return (
            <li
              key={`${c.call_id}-${i}`}
              className={`trace-call ${c.error ? 'has-error' : ''}`}
              style={{ marginLeft: `${Math.min(depth, 8) * 1.25}rem` }}
              data-testid="tool-call"
              data-call-id={c.call_id}
              data-depth={depth}
            >
              <details open={openAll || callMatches(c, terms)}>
                <summary>
                  <span className="trace-index">{i + 1}</span>
                  <code className="tool-name">
                    <SafeText text={c.tool} />
                  </code>
                  <span className="trace-summary">
                    {c.result_summary ? <Highlighted text={c.result_summary} /> : null}
                  </span>
                  {c.error ? <span className="badge fail">error</span> : null}
                  {orphan ? (
                    <span className="tag tag-warn" title={`parent ${c.parent_id ?? ''} not found`}>
                      orphan
                    </span>
                  ) : null}
                  <span className="trace-meta">
                    {durationMs !== null ? formatDuration(durationMs) : 'running'} · <Money micros={c.cost_micros} />
                  </span>
                  <span className="timeline" aria-hidden="true">
                    {bar ? (
                      <span className="timeline-bar" style={{ left: `${bar.left}%`, width: `${bar.width}%` }} />
                    ) : null}
                  </span>
                </summary>
                <div className="trace-body">
                  <dl className="kv">
                    <dt>Call id</dt>
                    <dd>
                      <code>
                        <SafeText text={c.call_id} />
                      </code>
                      {c.parent_id ? (
                        <span className="muted">
                          {' '}
                          · parent <SafeText text={c.parent_id} />
                        </span>
                      ) : null}
                    </dd>
                    <dt>Started</dt>
                    <dd>
                      <TimeText value={c.started_at} />
                    </dd>
                    <dt>Ended</dt>
                    <dd>{c.ended_at ? <TimeText value={c.ended_at} /> : <span className="muted">—</span>}</dd>
                    {c.documents.length > 0 ? (
                      <>
                        <dt>Documents</dt>
                        <dd>
                          {c.documents.map((d, j) => (
                            <code key={j} className="doc-id">
                              <SafeText text={d} />
                            </code>
                          ))}
                        </dd>
                      </>
                    ) : null}
                  </dl>
                  {c.error ? (
                    <div className="call-error">
                      <strong>Error:</strong> <Highlighted text={c.error} />
                    </div>
                  ) : null}
                  <h4>Arguments</h4>
                  <JsonBlock value={c.arguments} label="arguments" collapsible />
                  {c.result !== undefined && c.result !== null ? (
                    <>
                      <h4>Result</h4>
                      <JsonBlock value={c.result} label="result" collapsible />
                    </>
                  ) : null}
                </div>
              </details>
            </li>
          );
        })}
      </ol>
    </div>
  );
}

/** Whether a call's visible text contains a search word (such calls start open). */
function callMatches(c: ToolCall, terms: readonly string[]): boolean {
  if (terms.length === 0) return false;
  const text = [c.tool, c.result_summary ?? '', c.error ?? '', prettyJson(c.arguments), c.result === undefined ? '' : prettyJson(c.result)].join('\n');
  return hasMatch(text, terms);
}
