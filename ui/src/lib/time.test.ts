import { describe, expect, it } from 'vitest';
import { durationBetween, formatClock, formatDateTime, formatDateTimeCompact, formatDuration } from './time';

describe('formatDateTime', () => {
  it('shows the time in the requested zone and keeps UTC in the title', () => {
    const t = formatDateTime('2026-11-25T15:18:51Z', { locale: 'en-GB', timeZone: 'Europe/Berlin' });
    expect(t.valid).toBe(true);
    expect(t.text).toContain('16:18:51');
    expect(t.text).toContain('2026');
    expect(t.title).toBe('2026-11-25T15:18:51.000Z (UTC)');
  });

  it('converts across the date line', () => {
    const t = formatDateTime('2026-11-25T23:30:00Z', { locale: 'en-GB', timeZone: 'Asia/Tokyo' });
    expect(t.text).toContain('26 Nov 2026');
    expect(t.text).toContain('08:30:00');
  });

  it('accepts offsets and fractional seconds', () => {
    const t = formatDateTime('2026-11-25T17:18:51.250+02:00', { locale: 'en-GB', timeZone: 'UTC' });
    expect(t.text).toContain('15:18:51');
    expect(t.title).toBe('2026-11-25T15:18:51.250Z (UTC)');
  });

  it('shows unparseable values as raw text, and missing ones as a dash', () => {
    expect(formatDateTime('yesterday')).toEqual({ text: 'yesterday', title: 'unparseable time', valid: false });
    expect(formatDateTime(null).text).toBe('—');
    expect(formatDateTime('').text).toBe('—');
  });
});

describe('formatClock', () => {
  it('gives 24-hour HH:MM in the zone', () => {
    expect(formatClock('2026-11-25T15:08:51Z', { locale: 'en-GB', timeZone: 'UTC' })).toBe('15:08');
    expect(formatClock('2026-11-25T15:08:51Z', { locale: 'en-GB', timeZone: 'America/New_York' })).toBe('10:08');
    expect(formatClock(null)).toBe('—');
  });
});

describe('formatDuration', () => {
  it('scales units', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1250)).toBe('1.25 s');
    expect(formatDuration(12_500)).toBe('12.5 s');
    expect(formatDuration(123_000)).toBe('2 m 03 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 m');
    expect(formatDuration(-1)).toBe('—');
  });

  it('measures between times', () => {
    expect(durationBetween('2026-11-25T15:00:00Z', '2026-11-25T15:00:01.5Z')).toBe(1500);
    expect(durationBetween('2026-11-25T15:00:00Z', null)).toBeNull();
  });
});

describe('formatDateTimeCompact', () => {
  it('drops the year and uses 24-hour time, keeping UTC in the title', () => {
    const t = formatDateTimeCompact('2026-11-25T15:18:51Z', { locale: 'en-US', timeZone: 'Europe/Berlin' });
    expect(t.text).toBe('Nov 25, 16:18:51');
    expect(t.title).toBe('2026-11-25T15:18:51.000Z (UTC)');
    expect(formatDateTimeCompact('nope').text).toBe('nope');
  });
});
