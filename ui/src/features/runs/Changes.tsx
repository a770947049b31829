import type { RecordChange } from '../../api';
import { JsonBlock } from '../../components/JsonBlock';
import { SafeText } from '../../components/SafeText';

export function Changes({ changes, linkedActionIds = [] }: { changes: RecordChange[]; linkedActionIds?: string[] }) {
  if (changes.length === 0) return <p className="muted">No changes.</p>;
  return (
    <table className="grid changes">
      <thead>
        <tr>
          <th>Record</th>
          <th>Field</th>
          <th>Before</th>
          <th />
          <th>After</th>
          <th>Action</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c, i) => (
          <tr key={i} data-testid="record-change">
            <td>
              <code>
                <SafeText text={c.system} />/<SafeText text={c.record_id} />
              </code>
            </td>
            <td>
              <code>
                <SafeText text={c.field} />
              </code>
            </td>
            <td>
              <JsonBlock value={c.before} label="before" />
            </td>
            <td className="arrow">→</td>
            <td>
              <JsonBlock value={c.after} label="after" />
            </td>
            <td>
              {c.action_id ? (
                linkedActionIds.includes(c.action_id) ? (
                  <button
                    type="button"
                    className="link-button"
                    data-testid="change-action-link"
                    title="Show the linked action below"
                    onClick={() => {
                      const el = document.getElementById(actionAnchor(c.action_id ?? ''));
                      el?.scrollIntoView({ block: 'center' });
                      el?.focus();
                    }}
                  >
                    <code>
                      <SafeText text={c.action_id} />
                    </code>{' '}
                    ↓
                  </button>
                ) : (
                  <code title="Action not in this store">
                    <SafeText text={c.action_id} />
                  </code>
                )
              ) : (
                <span className="muted">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** DOM id of a linked action card in the run detail. */
export function actionAnchor(actionId: string): string {
  return `action-${encodeURIComponent(actionId)}`;
}
