import { describe, expect, it } from 'vitest';
import { windowDays, windowInstants } from '../../../alerts/evaluate/window.ts';

/** A KPI rule's window as local days, checked against dates written out by hand. */
describe('alert windows', () => {
  // Wednesday 2026-03-04 00:30 in Shanghai (UTC+8) is Tuesday 16:30 UTC
  const now = new Date('2026-03-03T16:30:00Z');
  const tz = 'Asia/Shanghai';

  it('today is the local day so far', () => {
    expect(windowDays('today', tz, now)).toEqual({ from: '2026-03-04', to: '2026-03-04' });
    expect(windowDays('today', 'UTC', now)).toEqual({ from: '2026-03-03', to: '2026-03-03' });
  });

  it('last_24h covers the days the last 24 hours touch', () => {
    expect(windowDays('last_24h', tz, now)).toEqual({ from: '2026-03-03', to: '2026-03-04' });
  });

  it('last_24h reads the instants of the last 24 hours within those days; the others whole days', () => {
    expect(windowInstants('last_24h', now)).toEqual({
      from: new Date('2026-03-02T16:30:00Z'),
      to: new Date('2026-03-03T16:30:00Z'),
    });
    for (const w of ['today', 'this_week', 'last_7d'] as const)
      expect(windowInstants(w, now)).toBeUndefined();
  });

  it('this_week starts on Monday; on a Monday it is that day', () => {
    expect(windowDays('this_week', tz, now)).toEqual({ from: '2026-03-02', to: '2026-03-04' });
    expect(windowDays('this_week', tz, new Date('2026-03-02T01:00:00Z'))).toEqual({
      from: '2026-03-02',
      to: '2026-03-02',
    });
    // Sunday 2026-03-08 belongs to the week of Monday 2026-03-02
    expect(windowDays('this_week', tz, new Date('2026-03-08T10:00:00Z'))).toEqual({
      from: '2026-03-02',
      to: '2026-03-08',
    });
  });

  it('last_7d is the seven days ending today', () => {
    expect(windowDays('last_7d', tz, now)).toEqual({ from: '2026-02-26', to: '2026-03-04' });
  });
});
