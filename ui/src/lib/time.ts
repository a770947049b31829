// Times arrive as RFC 3339 UTC strings; they are shown in the user's zone with Intl.

export interface TimeOptions {
  locale?: string | undefined;
  timeZone?: string | undefined;
}

export interface FormattedTime {
  /** Local rendering, or the raw text when it does not parse. */
  text: string;
  /** Full UTC value for a tooltip. */
  title: string;
  valid: boolean;
}

export function parseTime(value: string | null | undefined): Date | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Most formatters kept; past it the cache starts over (callers use a handful of option sets). */
const FORMATTERS_MAX = 64;
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The formatter for `opts` in `o`'s locale and zone, made once: making one costs WebKit about
 * half a millisecond, formatting with it a hundredth of that, and a screen of run rows formats
 * dozens of times.
 */
function formatter(opts: Intl.DateTimeFormatOptions, o: TimeOptions): Intl.DateTimeFormat {
  const key = JSON.stringify([o.locale ?? null, o.timeZone ?? null, opts]);
  let f = formatters.get(key);
  if (!f) {
    if (formatters.size >= FORMATTERS_MAX) formatters.clear();
    f = new Intl.DateTimeFormat(o.locale, { ...opts, timeZone: o.timeZone });
    formatters.set(key, f);
  }
  return f;
}

function fmt(d: Date, opts: Intl.DateTimeFormatOptions, o: TimeOptions): string {
  return formatter(opts, o).format(d);
}

/** Date and time with seconds, e.g. "Nov 25, 2026, 4:18:51 PM" in the user's zone. */
export function formatDateTime(value: string | null | undefined, o: TimeOptions = {}): FormattedTime {
  if (value === null || value === undefined || value === '') {
    return { text: '—', title: '', valid: false };
  }
  const d = parseTime(value);
  if (!d) return { text: value, title: 'unparseable time', valid: false };
  return {
    text: fmt(d, { dateStyle: 'medium', timeStyle: 'medium' }, o),
    title: `${d.toISOString()} (UTC)`,
    valid: true,
  };
}

/** Short date and time for dense tables, e.g. "Nov 25, 16:18:51" in the user's zone. */
export function formatDateTimeCompact(value: string | null | undefined, o: TimeOptions = {}): FormattedTime {
  const full = formatDateTime(value, o);
  const d = parseTime(value);
  if (!d) return full;
  const text = fmt(d, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }, o);
  return { ...full, text };
}

/** Hours and minutes only ("15:32"), for "data as of" lines. */
export function formatClock(value: string | Date | null | undefined, o: TimeOptions = {}): string {
  const d = value instanceof Date ? value : parseTime(value);
  if (!d) return '—';
  return fmt(d, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, o);
}

/** Milliseconds as "850 ms", "1.25 s", "2 m 03 s", "1 h 02 m". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) {
    const s = ms / 1000;
    return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  }
  const totalS = Math.floor(ms / 1000);
  if (totalS < 3600) {
    return `${Math.floor(totalS / 60)} m ${String(totalS % 60).padStart(2, '0')} s`;
  }
  const totalM = Math.floor(totalS / 60);
  return `${Math.floor(totalM / 60)} h ${String(totalM % 60).padStart(2, '0')} m`;
}

/** Milliseconds between two RFC 3339 times, or null. */
export function durationBetween(start: string, end: string | null | undefined): number | null {
  const a = parseTime(start);
  const b = parseTime(end ?? null);
  if (!a || !b) return null;
  return b.getTime() - a.getTime();
}
