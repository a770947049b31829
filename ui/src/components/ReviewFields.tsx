import type { ReviewField } from '../api';
import { SafeText } from './SafeText';

/** The fields a reviewer must confirm: label (name), proposed value, current value if any. */
export function ReviewFields({ fields }: { fields: ReviewField[] }) {
  if (fields.length === 0) return <p className="muted">No review fields.</p>;
  return (
    <table className="fields">
      <thead>
        <tr>
          <th>Field</th>
          <th>Proposed value</th>
          <th>Current</th>
          <th>Kind</th>
          <th>Confirm</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((f) => (
          <tr key={f.name} data-testid="review-field" data-field={f.name}>
            <th scope="row">
              <SafeText text={f.label} /> <code className="muted">(<SafeText text={f.name} />)</code>
            </th>
            <td className="field-value">
              <SafeText text={f.value} />
            </td>
            <td className="muted">{f.current != null ? <SafeText text={f.current} /> : '—'}</td>
            <td>{f.kind}</td>
            <td>
              {f.confirm === 'reenter' ? 're-enter' : 'tick'}
              {f.editable ? '' : ' · locked'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
