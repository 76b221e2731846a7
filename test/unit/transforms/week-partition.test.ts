import { describe, expect, it } from 'vitest';
import { weekPartition } from '../../../transforms/rollups/daily.ts';

/** kpi_daily's partition of a day: the Monday of its week (ISO weeks), as ClickHouse's toMonday. */
describe('weekPartition', () => {
  it('is the Monday of the day’s week, across a month and a year', () => {
    expect(weekPartition('2026-11-30')).toBe('20261130'); // a Monday
    expect(weekPartition('2026-11-29')).toBe('20261123'); // a Sunday
    expect(weekPartition('2026-12-02')).toBe('20261130');
    expect(weekPartition('2026-01-01')).toBe('20251229'); // a Thursday
    expect(weekPartition('2024-02-29')).toBe('20240226');
  });
});
