import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../infra/config.ts';
import { getMetric } from '../../../metrics/catalog.ts';
import { CLAUSES } from '../../../metrics/standards/clauses.ts';
import { baselinePeriod, quarterStart } from '../../../metrics/targets/baseline.ts';
import { defaultTargets, headlineTarget } from '../../../metrics/targets/defaults.ts';
import {
  completeMonths,
  evaluateAbsolute,
  evaluateRelative,
  evaluateSustained,
  relativeStatus,
  requiredValue,
  type MonthValue,
} from '../../../metrics/targets/evaluate.ts';
import { toMetricRow } from '../../../metrics/query/value.ts';
import { scopedFilters } from '../../../metrics/answer/standards.ts';

/**
 * Targets as the standards state them: the defaults (clauses + headline + overrides), the baseline
 * period, and the three kinds judged on planted values. Expected figures are worked out here by hand.
 */

describe('default targets', () => {
  it('hold every clause and the three CSAT targets', () => {
    const ts = defaultTargets({ targets: {} });
    for (const c of CLAUSES) expect(ts.some((t) => t.clause === c.id)).toBe(true);
    const csat = ts.filter((t) => t.metric === 'csat');
    expect(csat.map((t) => [t.kind, t.value, t.clause])).toEqual([
      ['absolute', 90, 'S000-2'],
      ['absolute', 92, 'S001-1'],
      ['sustained', 95, 'S004-6'],
    ]);
    expect(headlineTarget(ts, 'csat', 'absolute')?.value).toBe(90);
    expect(headlineTarget(ts, 'nps', 'relative')?.clause).toBe('S001-3');
    expect(headlineTarget(ts, 'nps', 'absolute')).toBeUndefined();
  });

  it('METRIC_TARGETS makes an absolute headline target, also for a relative KPI', () => {
    const cfg = loadConfig({ METRIC_TARGETS: '{"nps":40,"csat":92}' } as NodeJS.ProcessEnv);
    const ts = defaultTargets(cfg);
    expect(headlineTarget(ts, 'nps', 'absolute')).toMatchObject({ kind: 'absolute', value: 40 });
    expect(headlineTarget(ts, 'csat', 'absolute')).toMatchObject({ kind: 'absolute', value: 92 });
    // the clauses keep the standards' own targets
    expect(ts.find((t) => t.clause === 'S001-3')).toMatchObject({ kind: 'relative', value: 35 });
    // and the metric row judges NPS against 40
    const row = toMetricRow(
      { ...getMetric('nps'), target: { value: 40, basis: 'absolute', source: 'configuration' } },
      { period: 'total', n: 100, pro: 50, det: 15 },
      [],
    );
    expect(row.target).toBe(40);
    expect(row.value).toBeCloseTo(35, 12);
    expect(row.status).toBe('missed'); // 35 points, 5 short of 40: more than the 2-point band
  });
});

describe('baseline period', () => {
  it('defaults to the 90 days before the current quarter, in the configured time zone', () => {
    expect(quarterStart('2026-11-29')).toBe('2026-10-01');
    expect(quarterStart('2026-03-31')).toBe('2026-01-01');
    // 2026-09-30T17:00Z is already 1 October in Shanghai: the quarter starting 1 October
    const now = new Date('2026-09-30T17:00:00Z');
    expect(baselinePeriod({ timeZone: 'Asia/Shanghai', targetBaseline: null }, now)).toEqual({
      from: '2026-07-03',
      to: '2026-09-30',
    });
    expect(baselinePeriod({ timeZone: 'UTC', targetBaseline: null }, now)).toEqual({
      from: '2026-04-02',
      to: '2026-06-30',
    });
  });

  it('TARGET_BASELINE takes two dates, and says what is wrong otherwise', () => {
    const cfg = loadConfig({ TARGET_BASELINE: '2026-01-01..2026-03-31' } as NodeJS.ProcessEnv);
    expect(baselinePeriod(cfg)).toEqual({ from: '2026-01-01', to: '2026-03-31' });
    for (const bad of ['2026-04-01..2026-03-31', '2026-02-30..2026-03-31', 'last quarter'])
      expect(() => loadConfig({ TARGET_BASELINE: bad } as NodeJS.ProcessEnv)).toThrow(/TARGET_BASELINE/);
  });
});

describe('absolute targets', () => {
  const sla = getMetric('sla_compliance');
  it('with per: every member judged, the clause met only if all are', () => {
    const row = (priority: string, x: number, n: number) =>
      toMetricRow(sla, { period: 'total', priority, x, n }, ['priority']);
    const total = toMetricRow(sla, { period: 'total', x: 380, n: 400 }, []);
    const v = evaluateAbsolute(sla, { value: 95, per: 'priority' }, total, [
      row('normal', 290, 300), // 96.67 met
      row('urgent', 18, 20), // 90 missed, low confidence
      row('high', 72, 80), // 90 missed
    ]);
    expect(v.members?.map((m) => [m.member, m.status, m.low_confidence])).toEqual([
      ['normal', 'met', false],
      ['urgent', 'missed', true],
      ['high', 'missed', false],
    ]);
    expect(v.status).toBe('missed');
    const ok = evaluateAbsolute(sla, { value: 95, per: 'priority' }, total, [row('normal', 290, 300)]);
    expect(ok.status).toBe('met');
  });
});

describe('relative targets', () => {
  const cr = getMetric('complaint_rate');
  const nps = getMetric('nps');
  it('require baseline × 0.6 for complaints −40 % and baseline + 0.35·|baseline| for NPS +35 %', () => {
    expect(requiredValue('lower', 10, -40)).toBeCloseTo(6, 12);
    expect(requiredValue('higher', 20, 35)).toBeCloseTo(27, 12);
    expect(requiredValue('higher', -20, 35)).toBeCloseTo(-13, 12);
  });

  it('met, at risk within 10 % of the required change, missed', () => {
    // baseline 10 %, required 6 %: the required change is 4 points, at risk up to 6.4 %
    expect(relativeStatus('lower', 5.5, 10, 6)).toBe('met');
    expect(relativeStatus('lower', 6.3, 10, 6)).toBe('at_risk');
    expect(relativeStatus('lower', 6.5, 10, 6)).toBe('missed');
    expect(relativeStatus('lower', null, 10, 6)).toBe('insufficient_data');
  });

  it('a period 45 % below the baseline is met, and the change is significant', () => {
    // baseline 200 complaints of 2000 (10 %), period 110 of 2000 (5.5 %)
    const v = evaluateRelative(
      cr,
      { value: -40 },
      { period: 'total', x: 110, n: 2000 },
      { period: 'total', x: 200, n: 2000 },
      { from: '2026-01-01', to: '2026-03-31' },
    );
    expect(v.baseline.value).toBeCloseTo(10, 12);
    expect(v.required).toBeCloseTo(6, 12);
    expect(v.status).toBe('met');
    expect(v.change).toBeCloseTo(-4.5, 9);
    // two-proportion z by hand: pooled p = 310/4000
    const p = 310 / 4000;
    const z = (0.055 - 0.1) / Math.sqrt(p * (1 - p) * (2 / 2000));
    expect(z).toBeLessThan(-4);
    expect(v.significant).toBe(true);
    expect(v.p_value).toBeLessThan(1e-4);
    expect(v.baseline).toMatchObject({ from: '2026-01-01', to: '2026-03-31', n: 2000 });
  });

  it('NPS: a rise too small to meet +35 % is missed', () => {
    // baseline 40 − 20 = 20 points, required 27; period 45 − 22 = 23
    const v = evaluateRelative(
      nps,
      { value: 35 },
      { period: 'total', pro: 45, det: 22, n: 100 },
      { period: 'total', pro: 40, det: 20, n: 100 },
      { from: '2026-01-01', to: '2026-03-31' },
    );
    expect(v.required).toBeCloseTo(27, 12);
    expect(v.status).toBe('missed');
    expect(v.significant).toBe(false);
  });
});

describe('sustained targets', () => {
  const csat = getMetric('csat');
  it('takes the N complete calendar months ending by the period end', () => {
    expect(completeMonths('2026-11-30', 3)).toEqual(['2026-09-01', '2026-10-01', '2026-11-01']);
    expect(completeMonths('2026-11-29', 3)).toEqual(['2026-08-01', '2026-09-01', '2026-10-01']);
    expect(completeMonths('2026-02-15', 3)).toEqual(['2025-11-01', '2025-12-01', '2026-01-01']);
  });

  it('an agent at 96, 97, 95.5 % qualifies; one dipping to 94 % misses; one with 20 answers lacks data', () => {
    const months = ['2026-09-01', '2026-10-01', '2026-11-01'];
    const planted: MonthValue[] = [
      { member: 'a1', period: months[0]!, value: 96, n: 50 },
      { member: 'a1', period: months[1]!, value: 97, n: 100 },
      { member: 'a1', period: months[2]!, value: 95.5, n: 200 },
      { member: 'a2', period: months[0]!, value: 96, n: 50 },
      { member: 'a2', period: months[1]!, value: 94, n: 50 },
      { member: 'a2', period: months[2]!, value: 96, n: 50 },
      { member: 'a3', period: months[0]!, value: 100, n: 40 },
      { member: 'a3', period: months[1]!, value: 100, n: 20 },
      { member: 'a3', period: months[2]!, value: 100, n: 40 },
      // an agent without the first month at all
      { member: 'a4', period: months[1]!, value: 99, n: 40 },
      { member: 'a4', period: months[2]!, value: 99, n: 40 },
    ];
    const v = evaluateSustained(csat, { value: 95 }, months, planted);
    expect(v.qualified).toEqual(['a1']);
    expect(v.missed).toEqual(['a2']);
    expect(v.insufficient).toEqual(['a3', 'a4']);
    expect(v.members.find((m) => m.member === 'a2')?.months.map((m) => m.status)).toEqual([
      'met',
      'missed',
      'met',
    ]);
    expect(v.status).toBe('missed');
    expect(evaluateSustained(csat, { value: 95 }, months, planted.slice(0, 3)).status).toBe('met');
  });
});

describe('a clause under the caller filters', () => {
  const sla = getMetric('sla_compliance');
  const churn = getMetric('churn_rate');
  it('keeps the scope, intersects a filter on the same dimension, and says when nothing is left', () => {
    expect(scopedFilters(sla, { team_id: ['t1'] }, { channel: ['chat', 'social'] })).toEqual({
      team_id: ['t1'],
      channel: ['chat', 'social'],
    });
    expect(scopedFilters(sla, { channel: ['chat', 'phone'] }, { channel: ['chat', 'social'] })).toEqual({
      channel: ['chat'],
    });
    expect(scopedFilters(sla, { channel: ['phone'] }, { channel: ['chat', 'social'] })).toBeNull();
    // a filter the KPI cannot take is left out, as on the overview (churn is by customer: segment, region)
    expect(scopedFilters(churn, { priority: ['high'], region: ['east'] })).toEqual({ region: ['east'] });
  });
});
