import { listSources } from '../../api/governance';
import type { BackendView } from '../../api/types';
import { useLoad } from '../../app/useLoad';
import { HealthBadge } from '../../components/Badges';
import { TimeText } from '../../components/TimeText';
import { Clipped } from '../../components/Clipped';

/** Connected backends with the current user's roles, and knowledge sources with access. */
export function AdminSection({ backends }: { backends: BackendView[] | null }) {
  const sources = useLoad(listSources, 'admin-sources', 'list_sources');
  const list = sources.data ?? [];
  return (
    <>
      <section className="detail-section" data-testid="admin-backends">
        <h2>Connected backends and your roles</h2>
        {backends && backends.length === 0 ? <p className="empty">No backends connected.</p> : null}
        {backends && backends.length > 0 ? (
          <div className="table-wrap">
            <table className="grid">
              <thead>
                <tr>
                  <th>Backend</th>
                  <th>URL</th>
                  <th>Health</th>
                  <th>You are</th>
                  <th>Your roles</th>
                  <th>Tenants</th>
                  <th>Added</th>
                </tr>
              </thead>
              <tbody>
                {backends.map((b) => (
                  <tr key={b.backend_id} data-testid="admin-backend-row" data-backend-id={b.backend_id}>
                    <td>
                      <Clipped text={b.name} max={60} />
                    </td>
                    <td>
                      <code>
                        <Clipped text={b.url} max={80} />
                      </code>
                    </td>
                    <td>
                      <HealthBadge state={b.health.state} />
                    </td>
                    <td>
                      {b.whoami ? (
                        <>
                          <Clipped text={b.whoami.display_name} max={60} /> <span className="muted">(<Clipped text={b.whoami.subject} max={60} />)</span>
                        </>
                      ) : (
                        <span className="muted">unknown until synced</span>
                      )}
                    </td>
                    <td data-testid="admin-roles" data-roles={b.whoami?.roles.join(',') ?? ''}>
                      {b.whoami
                        ? b.whoami.roles.length
                          ? b.whoami.roles.map((r) => (
                              <span key={r} className="tag">
                                {r}
                              </span>
                            ))
                          : <span className="muted">none</span>
                        : '—'}
                    </td>
                    <td className="wrap">{b.whoami ? <Clipped text={b.whoami.tenants.join(', ')} max={120} expandable /> : '—'}</td>
                    <td>
                      <TimeText value={b.added_at} compact />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <section className="detail-section" data-testid="admin-sources">
        <h2>Knowledge sources</h2>
        {sources.loading && !sources.data ? <p className="muted">Loading…</p> : null}
        {sources.data && list.length === 0 ? <p className="empty">No knowledge sources reported (they arrive with a sync).</p> : null}
        {list.map(({ backend_id, backend_name, source: s }) => {
          const deprecated = s.documents.filter((d) => d.deprecated).length;
          return (
            <article key={`${backend_id}/${s.source_id}`} className="card source" data-testid="source-row" data-source-id={s.source_id} data-backend-id={backend_id}>
              <header className="card-head">
                <h3>
                  <Clipped text={s.name} expandable />
                </h3>
                <span className="tag">
                  <Clipped text={s.kind} max={40} />
                </span>
                <span className="muted small">
                  on <Clipped text={backend_name || backend_id} max={60} />
                </span>
                <span className="spacer" />
                <span className="muted small">
                  last indexed <TimeText value={s.last_indexed_at} compact />
                </span>
              </header>
              <p className="note small">
                Who may access:{' '}
                <span data-testid="source-access">
                  {s.access.length ? (
                    s.access.map((a) => (
                      <span key={a} className="tag">
                        <Clipped text={a} max={60} />
                      </span>
                    ))
                  ) : (
                    <span className="muted">nobody listed</span>
                  )}
                </span>
                {deprecated > 0 ? (
                  <span className="warn-text">
                    {' '}
                    · {deprecated} deprecated document{deprecated === 1 ? '' : 's'}
                  </span>
                ) : null}
              </p>
              {s.documents.length > 0 ? (
                <table className="grid docs">
                  <thead>
                    <tr>
                      <th>Document</th>
                      <th>Title</th>
                      <th>Version</th>
                      <th>Updated</th>
                      <th>Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.documents.map((d) => (
                      <tr key={d.doc_id} data-testid="source-doc" data-doc-id={d.doc_id} data-deprecated={d.deprecated ? 'true' : 'false'} className={d.deprecated ? 'deprecated' : undefined}>
                        <td>
                          <code>
                            <Clipped text={d.doc_id} max={60} />
                          </code>
                        </td>
                        <td className="wrap">
                          <Clipped text={d.title} max={120} />
                        </td>
                        <td>
                          <Clipped text={d.version} max={40} />
                        </td>
                        <td>
                          <TimeText value={d.updated_at} compact />
                        </td>
                        <td>
                          {d.deprecated ? (
                            <span className="badge fail" data-testid="doc-deprecated">
                              deprecated
                            </span>
                          ) : (
                            <span className="muted">current</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
            </article>
          );
        })}
      </section>
    </>
  );
}
