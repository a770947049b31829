import { useState } from 'react';
import { removeBackend, type BackendView, type Json } from '../../api';
import { useReportError } from '../../app/errors';
import { useStore } from '../../app/store';
import { HealthBadge } from '../../components/Badges';
import { SafeText } from '../../components/SafeText';
import { SyncButton } from '../../components/SyncButton';
import { TimeText } from '../../components/TimeText';
import { ConfirmFieldsEditor } from './ConfirmFieldsEditor';
import { FieldKindsEditor } from './FieldKindsEditor';
import { IdentityKeysEditor, hasIdentityKeys } from './IdentityKeysEditor';
import { InterruptTemplatesEditor } from './InterruptTemplatesEditor';
import { kindLabel, mlflowExperiment } from './kinds';
import { Clipped, LongText } from '../../components/Clipped';
import { TransportSetting } from './TransportSetting';

function configField(config: Json, key: string): Json | undefined {
  return config && typeof config === 'object' && !Array.isArray(config) ? config[key] : undefined;
}

/** One backend: identity, health, counts and its settings (LangGraph review settings, identity keys). */
export function BackendRow({ b, onRemoved }: { b: BackendView; onRemoved: () => void }) {
  const report = useReportError();
  const { syncStatus } = useStore();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const live = syncStatus[b.backend_id];
  // The config as last saved here (each settings editor saves the whole config, so the second
  // save must start from the first one's result, not from the list loaded before it).
  const [saved, setSaved] = useState<{ from: Json; config: Json } | null>(null);
  const current = saved && saved.from === b.config ? { ...b, config: saved.config } : b;
  const onSaved = (v: BackendView) => setSaved({ from: b.config, config: v.config });
  const h = b.health;

  const remove = async () => {
    setBusy(true);
    try {
      await removeBackend(b.backend_id);
      onRemoved();
    } catch (e) {
      report(e, 'remove_backend');
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <article className="card backend" data-testid="backend-row" data-backend-id={b.backend_id}>
      <header className="card-head">
        <h3>
          <Clipped text={b.name} expandable />
        </h3>
        <HealthBadge state={h.state} />
        {b.embedded ? <span className="tag">embedded</span> : null}
        <span className="tag" data-testid="backend-kind-tag" data-kind={b.kind}>
          <SafeText text={kindLabel(b.kind)} />
        </span>
        {live?.state === 'running' ? <span className="muted">syncing…</span> : null}
        <span className="spacer" />
        <SyncButton backendId={b.backend_id} testId="backend-sync" />
        {confirming ? (
          <>
            <button type="button" className="btn danger" data-testid="backend-remove-confirm" disabled={busy} onClick={remove}>
              Confirm remove
            </button>
            <button type="button" className="btn" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" className="btn" data-testid="backend-remove" onClick={() => setConfirming(true)}>
            Remove
          </button>
        )}
      </header>
      <dl className="kv">
        <dt>URL</dt>
        <dd>
          <code>
            <Clipped text={b.url} expandable />
          </code>
        </dd>
        <dt>Transport</dt>
        <dd>
          <TransportSetting b={b} />
        </dd>
        <dt>Last success</dt>
        <dd>{h.last_success_at ? <TimeText value={h.last_success_at} /> : <span className="muted">never</span>}</dd>
        <dt>Last attempt</dt>
        <dd>{h.last_attempt_at ? <TimeText value={h.last_attempt_at} /> : <span className="muted">never</span>}</dd>
        {h.last_error || h.consecutive_failures > 0 ? (
          <>
            <dt>Last error</dt>
            <dd className="warn-text" data-testid="backend-last-error">
              <LongText text={h.last_error ?? 'unknown'} />
              {h.consecutive_failures > 0 ? ` (${h.consecutive_failures} consecutive failures)` : ''}
            </dd>
          </>
        ) : null}
        {live?.state === 'error' && live.message ? (
          <>
            <dt>Sync status</dt>
            <dd className="warn-text">
              <LongText text={live.message} />
            </dd>
          </>
        ) : null}
        <dt>Counts</dt>
        <dd data-testid="backend-counts">
          {b.counts.runs} runs · {b.counts.actions_pending} actions pending ·{' '}
          <span className={b.counts.quarantined > 0 ? 'warn-text' : ''}>{b.counts.quarantined} quarantined</span>
        </dd>
        <dt>Identity</dt>
        <dd>
          {b.whoami ? (
            <>
              <Clipped text={b.whoami.display_name} max={80} />{' '}
              <span className="muted">
                (<Clipped text={b.whoami.subject} max={80} />)
              </span>{' '}
              roles:{' '}
              {b.whoami.roles.length ? (
                b.whoami.roles.map((r) => (
                  <span key={r} className="tag role">
                    {r}
                  </span>
                ))
              ) : (
                <span className="muted">none</span>
              )}
              {b.whoami.tenants.length ? (
                <span className="muted">
                  {' '}
                  · tenants <Clipped text={b.whoami.tenants.join(', ')} expandable />
                </span>
              ) : null}
            </>
          ) : b.kind === 'countersign' || b.kind === 'langgraph' ? (
            <span className="muted">unknown (not yet synced)</span>
          ) : (
            <span className="muted">none: this kind holds traces only, so nobody decides anything on it</span>
          )}
        </dd>
        {b.kind === 'phoenix' ? (
          <>
            <dt>Project</dt>
            <dd>
              <SafeText text={typeof configField(b.config, 'project') === 'string' ? String(configField(b.config, 'project')) : 'default'} />
            </dd>
          </>
        ) : null}
        {b.kind === 'mlflow' ? (
          <>
            <dt>Experiment</dt>
            <dd data-testid="backend-experiment-shown">
              <SafeText text={mlflowExperiment(b.config, b.url)} />
            </dd>
          </>
        ) : null}
        <dt>Added</dt>
        <dd>
          <TimeText value={b.added_at} />
        </dd>
      </dl>
      {b.kind === 'langgraph' ? (
        <div className="backend-settings">
          <ConfirmFieldsEditor b={current} onSaved={onSaved} />
          <FieldKindsEditor b={current} onSaved={onSaved} />
          <InterruptTemplatesEditor b={current} onSaved={onSaved} />
        </div>
      ) : null}
      {hasIdentityKeys(b.kind) ? (
        <div className="backend-settings">
          <IdentityKeysEditor b={current} onSaved={onSaved} />
        </div>
      ) : null}
    </article>
  );
}
