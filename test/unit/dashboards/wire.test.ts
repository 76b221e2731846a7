import { describe, expectTypeOf, it } from 'vitest';
import type { MetricRow as ComputedRow } from '../../../metrics/answer/metric.ts';
import type { DrillPage, HeatCell as ComputedCell } from '../../../metrics/answer/explore.ts';
import type { Impact as ComputedImpact } from '../../../metrics/answer/impact.ts';
import type { ProcessChange as StoredChange } from '../../../metrics/answer/changes.ts';
import type { Overview as ComputedOverview } from '../../../metrics/answer/overview.ts';
import type { Scorecard } from '../../../metrics/answer/standards.ts';
import type { RetentionDrivers as ComputedDrivers } from '../../../metrics/answer/retention.ts';
import type { RunRecord } from '../../../dashboards/reports/runs.ts';
import type {
  HeatCell,
  Impact,
  InteractionsPage,
  MetricRow,
  Overview,
  ProcessChange,
  RetentionDrivers,
  RunInfo,
  Standards,
} from '../../../dashboards/wire.ts';

/**
 * The wire types (dashboards/wire.ts) are what the browser reads; the server sends what the metric
 * functions return. These checks fail to compile when the two drift apart (tsc runs over test/).
 */
describe('wire types', () => {
  it('fit what the server sends', () => {
    expectTypeOf<ComputedRow>().toExtend<MetricRow>();
    expectTypeOf<
      Omit<ComputedOverview, 'completeThrough'> & { complete_through: string; time_zone: string }
    >().toExtend<Overview>();
    expectTypeOf<DrillPage>().toExtend<InteractionsPage>();
    expectTypeOf<ComputedCell>().toExtend<HeatCell>();
    expectTypeOf<StoredChange>().toExtend<ProcessChange>();
    expectTypeOf<ComputedImpact>().toExtend<Impact>();
    expectTypeOf<ComputedDrivers>().toExtend<RetentionDrivers>();
    expectTypeOf<RunRecord>().toExtend<RunInfo>();
    expectTypeOf<
      Omit<Scorecard, 'completeThrough'> & { complete_through: string; time_zone: string }
    >().toExtend<Standards>();
  });
});
