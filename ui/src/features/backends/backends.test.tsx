// Each backend kind shows its kind and health; kind-specific settings appear where they apply.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { BackendView } from '../../api';
import { ErrorProvider } from '../../app/errors';
import { StoreProvider } from '../../app/store';
import { BackendRow } from './BackendRow';
import { SecretStoreFooter } from './SecretStoreFooter';

const wrap = (node: ReactNode) =>
  renderToStaticMarkup(
    <ErrorProvider>
      <StoreProvider>{node}</StoreProvider>
    </ErrorProvider>,
  );

function backend(kind: string, config: BackendView['config'], state: BackendView['health']['state']): BackendView {
  return {
    backend_id: `b-${kind}`,
    name: `${kind} backend`,
    url: 'http://127.0.0.1:9',
    kind,
    added_at: '2026-11-25T15:00:00Z',
    embedded: false,
    health: { state, last_success_at: null, last_attempt_at: null, last_error: state === 'down' ? 'unreachable' : null, consecutive_failures: state === 'down' ? 3 : 0 },
    whoami: null,
    counts: { runs: 4, actions_pending: 1, quarantined: 0 },
    config,
    allow_http: false,
  };
}

describe('backend rows by kind', () => {
  it('LangGraph rows carry the kind, the health and the confirm-fields editor with the saved setting', () => {
    const html = wrap(<BackendRow b={backend('langgraph', { confirm_fields: { issue_refund: ['amount', 'region'] } }, 'down')} onRemoved={() => {}} />);
    expect(html).toMatch(/data-testid="backend-kind-tag" data-kind="langgraph"[^>]*>LangGraph Server</);
    expect(html).toMatch(/data-testid="health-badge"[^>]*>down</);
    expect(html).toContain('data-testid="confirm-fields"');
    expect(html).toContain('issue_refund: amount, region');
  });

  it('Phoenix rows show their project; other kinds have no confirm-fields editor', () => {
    const phoenix = wrap(<BackendRow b={backend('phoenix', { project: 'evals' }, 'healthy')} onRemoved={() => {}} />);
    expect(phoenix).toMatch(/data-kind="phoenix"[^>]*>Arize Phoenix</);
    expect(phoenix).toContain('evals');
    expect(phoenix).not.toContain('data-testid="confirm-fields"');
    const lf = wrap(<BackendRow b={backend('langfuse', {}, 'degraded')} onRemoved={() => {}} />);
    expect(lf).toMatch(/data-kind="langfuse"[^>]*>Langfuse</);
    expect(lf).toMatch(/data-testid="health-badge"[^>]*>degraded</);
  });

  it('MLflow rows show the experiment they sync, or that they sync every experiment', () => {
    const named = wrap(<BackendRow b={backend('mlflow', { experiment: 'refunds' }, 'healthy')} onRemoved={() => {}} />);
    expect(named).toMatch(/data-kind="mlflow"[^>]*>MLflow tracing</);
    expect(named).toMatch(/data-testid="backend-experiment-shown"[^>]*>refunds</);
    const all = wrap(<BackendRow b={backend('mlflow', {}, 'healthy')} onRemoved={() => {}} />);
    expect(all).toMatch(/data-testid="backend-experiment-shown"[^>]*>all experiments</);
    const fragment = wrap(<BackendRow b={{ ...backend('mlflow', {}, 'healthy'), url: 'http://127.0.0.1:5000#experiment=evals' }} onRemoved={() => {}} />);
    expect(fragment).toMatch(/data-testid="backend-experiment-shown"[^>]*>evals</);
    expect(named).not.toContain('data-testid="confirm-fields"');
  });
});

describe('identity keys in the Backends view', () => {
  it('trace stores and LangGraph edit which metadata keys name user and tenant; native and imported sources do not', () => {
    const phoenix = wrap(<BackendRow b={backend('phoenix', { project: 'evals', identity: { user_keys: ['customer', 'user_id'] } }, 'healthy')} onRemoved={() => {}} />);
    expect(phoenix).toContain('data-testid="identity-keys"');
    expect(phoenix).toMatch(/data-testid="identity-user_keys"[^>]*value="customer, user_id"/);
    expect(phoenix).toMatch(/data-testid="identity-tenant_keys"[^>]*value="tenant_id, tenant"/);
    expect(phoenix).toContain('data-testid="identity-session_keys"');
    // Nothing edited yet: nothing to save.
    expect(phoenix).toMatch(/data-testid="identity-save" disabled=""/);
    const lg = wrap(<BackendRow b={backend('langgraph', {}, 'healthy')} onRemoved={() => {}} />);
    expect(lg).toContain('data-testid="identity-keys"');
    expect(lg).not.toContain('data-testid="identity-session_keys"');
    expect(lg).toContain('thread’s metadata');
    for (const kind of ['countersign', 'otel']) {
      expect(wrap(<BackendRow b={backend(kind, {}, 'healthy')} onRemoved={() => {}} />)).not.toContain('data-testid="identity-keys"');
    }
  });
});

describe('credentials in the Backends view', () => {
  it('plain http to another machine says the token waits for an explicit allowance, and offers it', () => {
    const b = { ...backend('countersign', {}, 'down'), url: 'http://agents.internal:8080' };
    const refused = wrap(<BackendRow b={b} onRemoved={() => {}} />);
    expect(refused).toContain('data-allow-http="false"');
    expect(refused).toContain('the token is not sent until you allow it');
    expect(refused).toMatch(/data-testid="backend-allow-http-toggle"[^>]*>Allow plain http</);
    const allowed = wrap(<BackendRow b={{ ...b, allow_http: true }} onRemoved={() => {}} />);
    expect(allowed).toContain('data-allow-http="true"');
    expect(allowed).toMatch(/data-testid="backend-allow-http-toggle"[^>]*>Require https</);
    const local = wrap(<BackendRow b={backend('countersign', {}, 'healthy')} onRemoved={() => {}} />);
    expect(local).not.toContain('backend-allow-http-toggle');
  });

  it('the footer says where tokens are kept and why a token file is refused', () => {
    const info = {
      version: '0',
      store_path: '/s.db',
      embedded_backend_url: null,
      secret_store: 'file /x/secrets.json',
      secret_store_error: 'token file /x/secrets.json has mode 0644 <b>',
      min_review_ms: 0,
    };
    const html = wrap(<SecretStoreFooter info={info} />);
    expect(html).toContain('file /x/secrets.json');
    expect(html).toMatch(/data-testid="secret-store-error"[^>]*>token file \/x\/secrets.json has mode 0644 &lt;b&gt;/);
    expect(wrap(<SecretStoreFooter info={{ ...info, secret_store_error: null }} />)).not.toContain('secret-store-error');
  });
});
