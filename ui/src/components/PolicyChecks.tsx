import type { PolicyCheck } from '../api';
import { PassFail } from './Badges';
import { SafeText } from './SafeText';

export function PolicyChecks({ checks }: { checks: PolicyCheck[] }) {
  if (checks.length === 0) return <p className="muted">No policy checks recorded.</p>;
  const failed = checks.filter((c) => !c.passed).length;
  return (
    <div>
      <p className={failed ? 'warn-text' : 'muted'}>
        {failed ? `${failed} of ${checks.length} checks failed` : `All ${checks.length} checks passed`}
      </p>
      <ul className="checks">
        {checks.map((c, i) => (
          <li key={i} className={c.passed ? 'check-pass' : 'check-fail'} data-testid="policy-check">
            <PassFail passed={c.passed} /> <code><SafeText text={c.name} /></code>
            {c.detail ? (
              <span className="check-detail">
                {' — '}
                <SafeText text={c.detail} />
              </span>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
