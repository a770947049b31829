import type { HealthState } from '../api';

const HEALTH_LABEL: Record<HealthState, string> = {
  healthy: 'healthy',
  degraded: 'degraded',
  down: 'down',
  never_synced: 'never synced',
};

export function healthLabel(state: string): string {
  return (HEALTH_LABEL as Record<string, string>)[state] ?? state;
}

export function HealthBadge({ state }: { state: string }) {
  return (
    <span data-testid="health-badge" className={`badge health-${state}`}>
      {healthLabel(state)}
    </span>
  );
}

export function OutcomeBadge({ outcome }: { outcome: string }) {
  return (
    <span className={`badge outcome-${outcome}`} data-outcome={outcome}>
      {outcome}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status.replace(/_/g, ' ')}</span>;
}

export function RiskBadge({ risk }: { risk: string }) {
  return <span className={`badge risk-${risk}`}>{risk}</span>;
}

export function PassFail({ passed }: { passed: boolean }) {
  return <span className={`badge ${passed ? 'pass' : 'fail'}`}>{passed ? 'pass' : 'fail'}</span>;
}
