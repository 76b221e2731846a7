/** infra/time.ts against hand-worked dates: zones on both sides of UTC, daylight saving, month, year and leap days. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_DAYS,
  addDays,
  clickHouseTime,
  dayCount,
  localDate,
  today,
  windowEnding,
} from '../../../infra/time.ts';

describe('localDate and today', () => {
  it.each([
    // Asia/Shanghai is UTC+8 all year: its day starts at 16:00 UTC the day before.
    ['2026-03-02T15:59:59.999Z', 'Asia/Shanghai', '2026-03-02'],
    ['2026-03-02T16:00:00.000Z', 'Asia/Shanghai', '2026-03-03'],
    ['2026-12-31T16:00:00.000Z', 'Asia/Shanghai', '2027-01-01'],
    ['2024-02-28T16:00:00.000Z', 'Asia/Shanghai', '2024-02-29'],
    ['2026-02-28T16:00:00.000Z', 'Asia/Shanghai', '2026-03-01'],
    // America/Los_Angeles: PST (UTC−8) until 2026-03-08 02:00, PDT (UTC−7) until 2026-11-01 02:00.
    ['2026-03-08T07:59:59.999Z', 'America/Los_Angeles', '2026-03-07'],
    ['2026-03-08T08:00:00.000Z', 'America/Los_Angeles', '2026-03-08'],
    ['2026-03-09T06:59:59.999Z', 'America/Los_Angeles', '2026-03-08'],
    ['2026-03-09T07:00:00.000Z', 'America/Los_Angeles', '2026-03-09'],
    ['2026-11-01T06:59:59.999Z', 'America/Los_Angeles', '2026-10-31'],
    ['2026-11-01T07:00:00.000Z', 'America/Los_Angeles', '2026-11-01'],
    ['2026-11-02T07:59:59.999Z', 'America/Los_Angeles', '2026-11-01'],
    ['2026-11-02T08:00:00.000Z', 'America/Los_Angeles', '2026-11-02'],
    ['2027-01-01T07:59:59.999Z', 'America/Los_Angeles', '2026-12-31'],
    ['2024-03-01T07:59:59.999Z', 'America/Los_Angeles', '2024-02-29'],
    ['2026-03-02T23:59:59.999Z', 'UTC', '2026-03-02'],
    ['2026-03-03T00:00:00.000Z', 'UTC', '2026-03-03'],
  ])('%s is %s %s', (instant, zone, want) => {
    expect(localDate(new Date(instant), zone)).toBe(want);
    expect(today(zone, new Date(instant))).toBe(want);
  });

  it('refuses a zone that does not exist', () => {
    expect(() => localDate(new Date(), 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('addDays', () => {
  it.each([
    ['2026-03-02', 0, '2026-03-02'],
    ['2024-02-28', 1, '2024-02-29'],
    ['2024-02-28', 2, '2024-03-01'],
    ['2023-02-28', 1, '2023-03-01'],
    ['2024-03-01', -1, '2024-02-29'],
    ['2026-03-31', -31, '2026-02-28'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2026-01-01', -1, '2025-12-31'],
    ['2026-01-01', 365, '2027-01-01'],
    ['2024-01-01', 366, '2025-01-01'],
    // the days daylight saving starts and ends in Los Angeles are whole days like any other
    ['2026-03-07', 1, '2026-03-08'],
    ['2026-03-08', 1, '2026-03-09'],
    ['2026-11-01', -1, '2026-10-31'],
  ])('%s %+d days is %s', (date, days, want) => {
    expect(addDays(date, days)).toBe(want);
  });

  it('throws on a date it cannot read', () => {
    expect(() => addDays('not a date', 1)).toThrow(RangeError);
  });
});

describe('dayCount and windowEnding', () => {
  it.each([
    ['2026-03-02', '2026-03-02', 1],
    ['2024-02-01', '2024-02-29', 29],
    ['2023-02-01', '2023-02-28', 28],
    ['2026-03-01', '2026-03-31', 31],
    ['2026-12-25', '2027-01-07', 14],
    ['2026-03-01', '2026-11-30', 275],
  ])('%s to %s is %d days', (from, to, want) => {
    expect(dayCount(from, to)).toBe(want);
  });

  it('the default window is the 28 days that end on the given date', () => {
    expect(DEFAULT_WINDOW_DAYS).toBe(28);
    expect(windowEnding('2026-03-28')).toEqual({ from: '2026-03-01', to: '2026-03-28' });
    expect(windowEnding('2024-03-13')).toEqual({ from: '2024-02-15', to: '2024-03-13' });
    expect(windowEnding('2026-01-10')).toEqual({ from: '2025-12-14', to: '2026-01-10' });
    expect(windowEnding('2026-03-02', 1)).toEqual({ from: '2026-03-02', to: '2026-03-02' });
    expect(dayCount(windowEnding('2024-03-13').from, '2024-03-13')).toBe(28);
  });
});

describe('clickHouseTime', () => {
  it.each([
    [new Date('2026-03-02T01:15:00Z'), '2026-03-02 01:15:00.000'],
    [new Date('2026-12-31T23:59:59.999Z'), '2026-12-31 23:59:59.999'],
    ['2026-03-02T01:15:00.000Z', '2026-03-02 01:15:00.000'],
    ['2026-03-02T09:15:00+08:00', '2026-03-02 01:15:00.000'],
    ['2024-02-29T23:59:59.999-08:00', '2024-03-01 07:59:59.999'],
    ['2027-01-01T07:30:00+08:00', '2026-12-31 23:30:00.000'],
    ['2026-03-02T01:15:00.123456Z', '2026-03-02 01:15:00.123'],
  ])('%s is %s', (at, want) => {
    expect(clickHouseTime(at)).toBe(want);
  });
});
