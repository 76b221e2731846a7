import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../infra/config.ts';
import { CxError } from '../../../infra/errors.ts';
import { getMetric } from '../../../metrics/catalog.ts';
import { buildMetricQuery, buildRollupBatchQuery, returnsSums } from '../../../metrics/query/builder.ts';
import type { MetricRequest } from '../../../metrics/query/request.ts';
import { setMask } from '../../../metrics/query/rollup-sets.ts';
import { rollupFingerprint, type RollupState } from '../../../metrics/query/rollup-state.ts';
import { chooseStore } from '../../../metrics/query/store.ts';
import { sumsToRaw, toMetricRow } from '../../../metrics/query/value.ts';

/**
 * The pure query builder (metrics/query/): SQL text and bound parameters of representative requests,
 * and the store each is answered from. No Kafka, no ClickHouse.
 */

const cfg = loadConfig({ CXPULSE_TIMEZONE: 'Asia/Shanghai', CLICKHOUSE_DATABASE: 'cx' });
const flat = (sql: string) => sql.replace(/\s+/g, ' ').trim();
const request = (r: Partial<MetricRequest> = {}): MetricRequest => ({
  from: '2026-01-05',
  to: '2026-02-08',
  grain: 'week',
  by: [],
  filters: {},
  ...r,
});
const evaluatedAt = new Date('2026-02-09T00:00:00Z');
const current: RollupState = {
  version: 3,
  fingerprint: rollupFingerprint(cfg),
  completeThrough: evaluatedAt,
  evaluatedAt,
};

describe('store choice', () => {
  it('answers rolled-up sets (quantiles too) from the rollups, other sets from the facts', () => {
    const fcr = getMetric('fcr');
    expect(chooseStore(fcr, request({ by: ['channel'] }), cfg, current)).toBe('rollup');
    expect(chooseStore(fcr, request({ by: ['agent_id', 'channel'] }), cfg, current)).toBe('rollup');
    expect(chooseStore(fcr, request({ by: ['agent_id', 'channel', 'category'] }), cfg, current)).toBe(
      'facts',
    );
    expect(chooseStore(getMetric('first_response_time'), request(), cfg, current)).toBe('rollup');
    expect(chooseStore(getMetric('churn_rate'), request(), cfg, current)).toBe('rollup');
  });

  it('reads the raw tables before the first refresh or after a configuration change', () => {
    const fcr = getMetric('fcr');
    expect(chooseStore(fcr, request(), cfg, null)).toBe('raw');
    expect(chooseStore(fcr, request(), cfg, { ...current, fingerprint: 'other' })).toBe('raw');
    expect(chooseStore(fcr, request({ store: 'facts' }), cfg, null)).toBe('facts');
  });

  it('judges "target passed" at another instant from the facts', () => {
    const sla = getMetric('sla_compliance');
    expect(chooseStore(sla, request({ asOf: evaluatedAt }), cfg, current)).toBe('rollup');
    expect(chooseStore(sla, request({ asOf: new Date('2026-02-10T00:00:00Z') }), cfg, current)).toBe('facts');
  });
});

describe('buildMetricQuery', () => {
  it('a rollup-served request: sums of kpi_daily in its grouping set, by ISO week', () => {
    const m = getMetric('fcr');
    const q = buildMetricQuery(
      m,
      request({ by: ['channel'], filters: { priority: ['normal', 'high'] } }),
      cfg,
      'rollup',
    );
    expect(flat(q.sql)).toBe(
      flat(`SELECT toString(toMonday(day)) AS period, channel,
              sum(x) AS sx, sum(n) AS sn, sum(s2) AS ss2, sum(pro) AS spro, sum(det) AS sdet
            FROM cx.kpi_daily
            WHERE metric = {metric:String} AND gs = {gs:UInt16} AND day BETWEEN {from:Date} AND {to:Date}
              AND priority IN {f_priority:Array(String)}
            GROUP BY period, channel HAVING sn > 0 ORDER BY period, channel`),
    );
    expect(q.params).toEqual({
      metric: 'fcr',
      gs: setMask(['channel', 'priority']),
      from: '2026-01-05',
      to: '2026-02-08',
      f_priority: ['normal', 'high'],
    });
    expect(returnsSums(m, 'rollup')).toBe(true);
  });

  it('a facts-served request: aggregates over the stored facts, SLA policy and time zone bound', () => {
    const m = getMetric('first_response_time');
    const asOf = new Date('2026-02-09T12:00:00Z');
    const q = buildMetricQuery(m, request({ grain: 'month', by: ['team_id'], asOf }), cfg, 'facts');
    const sql = flat(q.sql);
    expect(sql).toMatch(
      /^WITH f AS \(SELECT \*, opened_at AS at, .* AS target_passed FROM cx\.interaction_kpi FINAL\)/,
    );
    expect(sql).toContain('SELECT toString(toStartOfMonth(day)) AS period, team_id, avgIf(');
    expect(sql).toContain('quantileExactIf(0.5)(');
    expect(sql).toContain('quantileExactIf(0.9)(');
    expect(sql).toContain(
      'WHERE day BETWEEN {from:Date} AND {to:Date} GROUP BY period, team_id HAVING n > 0 ORDER BY period, team_id',
    );
    expect(q.params).toMatchObject({
      tz: 'Asia/Shanghai',
      from: '2026-01-05',
      to: '2026-02-08',
      as_of: '2026-02-09 12:00:00.000',
      frt_urgent: cfg.policy.urgentSeconds,
      resolution_hours: cfg.policy.resolutionTargetHours,
      fcr_days: cfg.policy.fcrRepeatWindowDays,
    });
    expect(returnsSums(m, 'facts')).toBe(false);
  });

  it('a raw request derives the facts from the raw tables; filters are bound, never inlined', () => {
    const m = getMetric('csat_mean');
    const q = buildMetricQuery(
      m,
      request({ grain: 'day', filters: { channel: ["phone' OR 1=1 --"] } }),
      cfg,
      'raw',
    );
    const sql = flat(q.sql);
    expect(sql).toContain('FROM (SELECT * FROM cx.survey_events FINAL ) AS s');
    expect(sql).toContain("avgIf(score, survey = 'csat') AS x, stddevSampIf(score, survey = 'csat') AS sd");
    expect(sql).toContain('AND channel IN {f_channel:Array(String)}');
    expect(sql).not.toContain('OR 1=1');
    expect(q.params['f_channel']).toEqual(["phone' OR 1=1 --"]);
  });

  it('a customer metric from the cohorts: one row per period cut by from/to', () => {
    const q = buildMetricQuery(
      getMetric('churn_rate'),
      request({ grain: 'month', by: ['segment'] }),
      cfg,
      'rollup',
    );
    expect(flat(q.sql)).toContain('FROM cx.kpi_cohorts AS c');
    expect(q.params).toMatchObject({
      p_keys: ['2026-01-01', '2026-02-01'],
      p_first: ['2026-01-05', '2026-02-01'],
      p_last: ['2026-01-31', '2026-02-08'],
    });
  });

  it('refuses, naming the parameter, what the metric cannot take', () => {
    const fail = (r: Partial<MetricRequest>, store: 'raw' | 'rollup' = 'raw', metric = 'csat') => {
      try {
        buildMetricQuery(getMetric(metric), request(r), cfg, store);
      } catch (e) {
        return e instanceof CxError ? `${e.code}: ${e.message}` : String(e);
      }
      return 'built';
    };
    // survey KPIs take every dimension (through the interaction answered); customer KPIs two
    expect(fail({ by: ['team_id'], filters: { agent_id: ['a1'] } })).toBe('built');
    expect(fail({ by: ['team_id'] }, 'raw', 'churn_rate')).toMatch(
      /^bad_parameter: by: churn_rate cannot be grouped by team_id/,
    );
    expect(fail({ filters: { agent_id: ['a1'] } }, 'raw', 'churn_rate')).toMatch(
      /^bad_parameter: agent_id: /,
    );
    expect(fail({ from: '2026-02-30' })).toMatch(/^bad_parameter: from: must be a date/);
    expect(fail({ from: '2026-03-01', to: '2026-02-01' })).toMatch(
      /^bad_parameter: from: must not be after to/,
    );
  });
});

describe('buildRollupBatchQuery', () => {
  it('several metrics of one grouping set in one query', () => {
    const q = buildRollupBatchQuery([getMetric('csat'), getMetric('nps')], request({ grain: 'total' }), cfg);
    expect(flat(q.sql)).toBe(
      flat(`SELECT metric, 'total' AS period,
              sum(x) AS sx, sum(n) AS sn, sum(s2) AS ss2, sum(pro) AS spro, sum(det) AS sdet
            FROM cx.kpi_daily
            WHERE metric IN {metrics:Array(String)} AND gs = {gs:UInt16} AND day BETWEEN {from:Date} AND {to:Date}
            GROUP BY metric, period HAVING sn > 0 ORDER BY metric, period`),
    );
    expect(q.params).toEqual({ metrics: ['csat', 'nps'], gs: 0, from: '2026-01-05', to: '2026-02-08' });
  });
});

describe('sums → value (metrics/query/value.ts)', () => {
  it('turns rollup sums into a mean with its standard deviation, and that into the response row', () => {
    const m = getMetric('csat_mean');
    // scores 3, 4, 5: sum 12, sum of squares 50
    const raw = sumsToRaw(m, { period: 'total', sx: 12, sn: '3', ss2: 50, spro: 0, sdet: 0 }, []);
    expect(raw).toEqual({ period: 'total', n: 3, x: 4, sd: 1 });
    const row = toMetricRow(m, raw, []);
    expect(row.value).toBe(4);
    expect(row.n).toBe(3);
    expect(row.low_confidence).toBe(true);
  });

  it('turns NPS sums into promoters − detractors in points', () => {
    const m = getMetric('nps');
    const row = toMetricRow(
      m,
      sumsToRaw(m, { period: 'total', sx: 0, sn: 10, ss2: 0, spro: 5, sdet: 2 }, []),
      [],
    );
    expect(row.value).toBeCloseTo(30, 12);
  });
});

describe('a request bounded by instants (a rolling window)', () => {
  const instants = { from: new Date('2026-02-07T10:00:00Z'), to: new Date('2026-02-08T10:00:00Z') };
  const req = request({ from: '2026-02-07', to: '2026-02-08', grain: 'total', instants });

  it('is answered from the facts, never the rollups, and keeps only the facts in [from, to)', () => {
    const fcr = getMetric('fcr');
    expect(chooseStore(fcr, req, cfg, current)).toBe('facts');
    const q = buildMetricQuery(fcr, req, cfg, 'facts');
    expect(flat(q.sql)).toContain(
      "at >= {at_from:DateTime64(3, 'UTC')} AND at < {at_to:DateTime64(3, 'UTC')}",
    );
    expect(q.params).toMatchObject({ at_from: '2026-02-07 10:00:00.000', at_to: '2026-02-08 10:00:00.000' });
    expect(() => buildMetricQuery(fcr, req, cfg, 'rollup')).toThrow(CxError);
    expect(() => buildMetricQuery(getMetric('churn_rate'), req, cfg, 'facts')).toThrow(CxError);
  });
});
