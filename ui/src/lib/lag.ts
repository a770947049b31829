/** Whole minutes between a sync time and now ("lag"), or null when never synced. */
export function lagMinutes(lastSuccess: Date | null, now: Date): number | null {
  if (!lastSuccess) return null;
  return Math.max(0, Math.floor((now.getTime() - lastSuccess.getTime()) / 60_000));
}

export function formatLag(min: number | null): string {
  if (min === null) return 'never synced';
  if (min < 60) return `lag ${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `lag ${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `lag ${Math.floor(h / 24)} days`;
}
