import { useEffect, useRef } from 'react';
import type { ActionItem } from '../../api';
import { RiskBadge, StatusBadge } from '../../components/Badges';
import { TimeText } from '../../components/TimeText';
import { timeLeft } from '../../lib/queue';
import { Clipped } from '../../components/Clipped';

/** The review panel's header: back to the queue (focused on open), title, risk, status, target and the clock. */
export function ReviewHeader({
  item,
  status,
  now,
  openedAt,
  onBack,
}: {
  item: ActionItem;
  status: string;
  now: Date;
  /** When the console recorded the opening (ISO time); null until it has. */
  openedAt: string | null;
  onBack: () => void;
}) {
  const a = item.action;
  const left = timeLeft(a.expires_at, now);
  const openFor = openedAt === null ? null : Math.max(0, Math.floor((now.getTime() - new Date(openedAt).getTime()) / 1000));
  const backRef = useRef<HTMLButtonElement>(null);
  useEffect(() => backRef.current?.focus(), []);
  return (
    <header className="view-header">
      <div className="view-title">
        <button type="button" className="btn" onClick={onBack} data-testid="review-back" ref={backRef}>
          ← Queue
        </button>
        <h1>
          <Clipped text={a.title} expandable />
        </h1>
        <div className="review-meta">
          <RiskBadge risk={a.risk} /> <StatusBadge status={status} />{' '}
          <code>
            <Clipped text={a.target.system} max={60} />/<Clipped text={a.target.record_id} max={80} expandable />
          </code>{' '}
          <span className="muted">
            · <Clipped text={item.backend_name || item.backend_id} max={80} /> · requested <TimeText value={a.requested_at} compact />
          </span>
        </div>
      </div>
      <div className="review-clock">
        {status === 'pending' ? (
          <div className={left.urgent ? 'time-left urgent' : 'time-left'} data-testid="time-left">
            {left.text} left
          </div>
        ) : null}
        {openedAt !== null ? (
          <div className="muted small" data-testid="open-for" title={`opened ${openedAt}`}>
            open for {openFor} s
          </div>
        ) : null}
      </div>
    </header>
  );
}
