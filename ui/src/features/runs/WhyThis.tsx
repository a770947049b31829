import type { Run } from '../../api';
import { OutcomeBadge } from '../../components/Badges';
import { Highlighted } from '../../components/Highlighted';
import { JsonBlock } from '../../components/JsonBlock';
import { SafeText } from '../../components/SafeText';
import { isEmptyJson } from '../../lib/json';
import { STALE_AFTER_DAYS, staleDays } from '../../components/Citations';
import type { CitationOpener } from '../../lib/citationOpen';

/** Below this the confidence is called out as low. */
export const LOW_CONFIDENCE = 0.7;

/**
 * "Why this": what went in (inputs), what was retrieved (cited passages), and the rule and
 * confidence (rationale, failed policy checks) that led to the decision or escalation.
 */
export function WhyThis({ run, onOpen }: { run: Run; onOpen?: CitationOpener }) {
  const failed = run.policy_checks.filter((c) => !c.passed);
  const now = new Date();
  const conf = run.confidence;
  return (
    <section className="detail-section why-this" data-testid="why-this">
      <h2>Why this</h2>
      <div className="why-grid">
        <div className="why-block" data-testid="why-decision">
          <h3>Decision</h3>
          <p>
            <OutcomeBadge outcome={run.outcome} />{' '}
            <code>
              <SafeText text={run.decision || '—'} />
            </code>
          </p>
          <p>
            Confidence:{' '}
            {conf != null ? (
              <strong className={conf < LOW_CONFIDENCE ? 'warn-text' : ''}>
                {(conf * 100).toFixed(1)}%{conf < LOW_CONFIDENCE ? ' (low)' : ''}
              </strong>
            ) : (
              <span className="muted">not recorded</span>
            )}
          </p>
          <h3>Rationale</h3>
          <p className="prose">{run.rationale ? <Highlighted text={run.rationale} /> : <span className="muted">None recorded.</span>}</p>
          <h3>Rules</h3>
          {run.policy_checks.length === 0 ? (
            <p className="muted">No policy checks recorded.</p>
          ) : failed.length === 0 ? (
            <p className="ok-text">All {run.policy_checks.length} policy checks passed.</p>
          ) : (
            <ul className="plain-list" data-testid="why-failed-checks">
              {failed.map((c, i) => (
                <li key={i} className="warn-text">
                  <code>
                    <SafeText text={c.name} />
                  </code>{' '}
                  failed{c.detail ? ': ' : ''}
                  {c.detail ? <SafeText text={c.detail} /> : null}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="why-block">
          <h3>Inputs</h3>
          {isEmptyJson(run.inputs) ? <p className="muted">None.</p> : <JsonBlock value={run.inputs} label="inputs" collapsible />}
        </div>
        <div className="why-block" data-testid="why-passages">
          <h3>Retrieved passages ({run.citations.length})</h3>
          {run.citations.length === 0 ? <p className="muted">Nothing was cited.</p> : null}
          <ol className="plain-list why-passages">
            {run.citations.map((c, i) => {
              const stale = staleDays(c, now);
              return (
                <li key={i}>
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => {
                      onOpen?.(c.doc_id, 'passage');
                      document.getElementById(`citation-${i}`)?.scrollIntoView({ block: 'start' });
                    }}
                  >
                    <SafeText text={c.title || c.doc_id} />
                  </button>{' '}
                  <span className="muted small">
                    <SafeText text={c.source_version} />
                  </span>
                  {c.deprecated ? <span className="badge fail">deprecated</span> : null}
                  {stale !== null ? (
                    <span className="badge warn" title={`Older than ${STALE_AFTER_DAYS} days`}>
                      stale
                    </span>
                  ) : null}
                  <blockquote className="context small">
                    “<Highlighted text={c.passage} />”
                  </blockquote>
                </li>
              );
            })}
          </ol>
        </div>
      </div>
    </section>
  );
}
