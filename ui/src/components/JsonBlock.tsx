import { prettyJson } from '../lib/json';
import { SafeText } from './SafeText';

/** Pretty-printed JSON as text in a <pre>. */
export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre className="json" aria-label={label}>
      <SafeText text={prettyJson(value)} />
    </pre>
  );
}
