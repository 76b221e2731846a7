import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '../../../infra/clickhouse.ts';
import type { Config } from '../../../infra/config.ts';
import { CxError } from '../../../infra/errors.ts';
import type { CxEvent } from '../../../ingest/events.ts';
import { generateSample, plantedEffects, type SampleOptions } from '../../../sample/index.ts';
import { toRow } from '../../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../../ingest/sink.ts';
import { getMetric } from '../../../metrics/catalog.ts';
import { computeMetric } from '../../../metrics/answer/metric.ts';
import { changeImpact, type Impact } from '../../../metrics/answer/impact.ts';
import {
  getChange,
  listChanges,
  saveChange,
  type ProcessChange,
  type SaveChangeInput,
} from '../../../metrics/answer/changes.ts';
import type { Dimension } from '../../../metrics/types.ts';
import { migrate } from '../../../transforms/migrate.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

/**
 * Process-change impact on the generator's planted effect: team t2 lifts first-contact resolution at
 * local midnight half-way through the sample, the other teams do not change. The impact must find the
 * lift where it was planted and nothing where it was not; its p-value and interval are recomputed here
 * from the windows' counts with jStat's normal distribution, independently of metrics/stats/.
 */

interface JStat {
  normal: {
    cdf(x: number, mean: number, sd: number): number;
    inv(p: number, mean: number, sd: number): number;
  };
}
const { jStat } = createRequire(import.meta.url)('jstat') as { jStat: JStat };

const TZ = 'Asia/Shanghai';
const SAMPLE: SampleOptions = {
  seed: 3,
  customers: 3000,
  days: 120,
  start: new Date('2026-01-05T00:00:00Z'),
  timeZone: TZ,
};
const PLANTED = plantedEffects(SAMPLE).processChange;
/** After the whole sample: nothing is still pending. */
const AS_OF = new Date('2026-06-01T00:00:00Z');
let cfg: Config;
let ch: ClickHouseClient;

beforeAll(async () => {
  cfg = testConfig(testEnv({ CXPULSE_TIMEZONE: TZ }));
  ch = createClickHouse(cfg.clickhouse);
  await migrate(ch, cfg.clickhouse.database);
  const sink = new ClickHouseSink(ch, cfg.clickhouse.database);
  let rows: Record<string, string[]> = { interactions: [], surveys: [], customers: [] };
  let k = 0;
  const flush = async () => {
    await sink.write({ rows, dlq: [] });
    rows = { interactions: [], surveys: [], customers: [] };
  };
  for (const e of generateSample(SAMPLE) as Iterable<CxEvent>) {
    const { table, row } = toRow(e, { topic: 't', partition: 0, offset: String(k++) });
    rows[table]!.push(rowLine(row));
    if (k % 20_000 === 0) await flush();
  }
  await flush();
}, 120_000);

afterAll(() => ch?.close());

const save = (input: Partial<SaveChangeInput>) =>
  saveChange(ch, cfg, {
    title: PLANTED.title,
    starts_at: PLANTED.startsAt,
    user: 'analyst@example.com',
    ...input,
  } as SaveChangeInput);

/** The error a call rejects with, for checking code and field. */
async function rejection(p: Promise<unknown>): Promise<CxError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CxError);
    return err as CxError;
  }
  throw new Error('expected a rejection');
}

/**
 * The two-proportion z-test from its textbook formula, with x and n of each window recomputed through
 * computeMetric (the dashboards' path), not through the impact code.
 */
async function independentTest(scope: Partial<Record<Dimension, string[]>>, impact: Impact) {
  const total = async (from: string, to: string) => {
    const [row] = await computeMetric(ch, cfg, getMetric('fcr'), {
      from,
      to,
      grain: 'total',
      by: [],
      filters: scope,
      asOf: AS_OF,
    });
    const n = row!.n;
    return { x: Math.round(((row!.value as number) * n) / 100), n };
  };
  const a = await total(impact.before.from, impact.before.to);
  const b = await total(impact.after.from, impact.after.to);
  const p1 = a.x / a.n;
  const p2 = b.x / b.n;
  const pooled = (a.x + b.x) / (a.n + b.n);
  const z = (p2 - p1) / Math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n));
  const se = Math.sqrt((p1 * (1 - p1)) / a.n + (p2 * (1 - p2)) / b.n);
  const zc = jStat.normal.inv(0.975, 0, 1);
  return {
    a,
    b,
    p1: p1 * 100,
    p2: p2 * 100,
    diff: (p2 - p1) * 100,
    p: 2 * jStat.normal.cdf(-Math.abs(z), 0, 1),
    low: (p2 - p1 - zc * se) * 100,
    high: (p2 - p1 + zc * se) * 100,
  };
}

describe('process-change impact on the planted FCR lift', () => {
  const results: Record<string, { impact: Impact; ref: Awaited<ReturnType<typeof independentTest>> }> = {};

  beforeAll(async () => {
    for (const team of ['t2', 't1', 't3']) {
      const change = await save({ id: `pc-${team}`, scope: { team_id: [team] } });
      const impact = await changeImpact(ch, cfg, change, { metric: 'fcr', asOf: AS_OF });
      results[team] = { impact, ref: await independentTest({ team_id: [team] }, impact) };
    }
  }, 60_000);

  it('cuts 28 whole local days on each side of a change at local midnight', () => {
    expect(PLANTED.startsAt).toBe('2026-03-05T16:00:00.000Z'); // 2026-03-06 00:00 in Shanghai
    const { impact } = results['t2']!;
    expect(impact.before).toMatchObject({ from: '2026-02-06', to: '2026-03-05', days: 28 });
    expect(impact.after).toMatchObject({ from: '2026-03-06', to: '2026-04-02', days: 28 });
    expect(impact).toMatchObject({
      metric: 'fcr',
      unit: 'percent',
      test: 'two_proportion_z',
      diff_of: 'value',
    });
  });

  it('finds the lift in t2, where it was planted', () => {
    const { impact, ref } = results['t2']!;
    expect(impact.significant).toBe(true);
    expect(impact.p_value!).toBeLessThan(0.01);
    expect(impact.diff!).toBeGreaterThan(0);
    expect(impact.ci_low!).toBeGreaterThan(0);
    expect(impact.relative_change!).toBeCloseTo((impact.diff! / impact.before.value!) * 100, 9);
    // The generator documents about 60 % → 76 % for t2's FCR.
    expect(impact.before.value!).toBeGreaterThan(50);
    expect(impact.after.value!).toBeGreaterThan(impact.before.value! + 8);
    expect(ref.a.n).toBe(impact.before.n);
  });

  it.each(['t1', 't3'])('finds nothing in %s, where nothing was planted', (team) => {
    const { impact } = results[team]!;
    expect(impact.p_value!, `${team}: ${impact.before.value} → ${impact.after.value}`).toBeGreaterThan(0.05);
    expect(impact.significant).toBe(false);
    expect(impact.ci_low!).toBeLessThan(0);
    expect(impact.ci_high!).toBeGreaterThan(0);
  });

  it.each(['t2', 't1', 't3'])(
    '%s: p-value and interval equal the textbook formula (jStat) to 1e-6',
    (team) => {
      const { impact, ref } = results[team]!;
      expect(impact.before.n).toBe(ref.a.n);
      expect(impact.after.n).toBe(ref.b.n);
      expect(Math.abs(impact.before.value! - ref.p1)).toBeLessThan(1e-9);
      expect(Math.abs(impact.after.value! - ref.p2)).toBeLessThan(1e-9);
      expect(Math.abs(impact.diff! - ref.diff)).toBeLessThan(1e-9);
      expect(Math.abs(impact.p_value! - ref.p)).toBeLessThan(1e-6);
      expect(Math.abs(impact.ci_low! - ref.low)).toBeLessThan(1e-6);
      expect(Math.abs(impact.ci_high! - ref.high)).toBeLessThan(1e-6);
    },
  );

  it('draws a p-chart over both windows with the change marked', () => {
    const { impact } = results['t2']!;
    const c = impact.control_chart;
    expect(c.type).toBe('p');
    expect(c.points).toHaveLength(56);
    expect(c.change_index).toBe(28);
    expect(c.points[0]!.period).toBe('2026-02-06');
    expect(c.points[27]).toMatchObject({ period: '2026-03-05', phase: 'before' });
    expect(c.points[28]).toMatchObject({ period: '2026-03-06', phase: 'after' });
    expect(c.points.reduce((s, p) => s + p.n, 0)).toBe(impact.before.n + impact.after.n);
    // Centre = pooled rate of both windows; limits around it on every day with observations.
    const pooled =
      (impact.before.value! * impact.before.n + impact.after.value! * impact.after.n) /
      (impact.before.n + impact.after.n);
    expect(c.center!).toBeCloseTo(pooled, 9);
    for (const p of c.points.filter((q) => q.n > 0)) {
      expect(p.lcl!).toBeLessThan(c.center!);
      expect(p.ucl!).toBeGreaterThan(c.center!);
      expect(p.out).toBe(p.value! < p.lcl! || p.value! > p.ucl!);
    }
    // The shift shows: most days before sit below the centre, most days after above it.
    const before = c.points.slice(0, 28).filter((p) => p.n > 0);
    const after = c.points.slice(28).filter((p) => p.n > 0);
    expect(before.filter((p) => p.value! < c.center!).length).toBeGreaterThan(before.length * 0.6);
    expect(after.filter((p) => p.value! > c.center!).length).toBeGreaterThan(after.length * 0.6);
  });
});

describe('other kinds of metric and windows', () => {
  let change: ProcessChange;
  beforeAll(async () => {
    change = await save({ id: 'pc-whole-centre', scope: {} });
  });

  it('a start that is not local midnight leaves its day out of both windows', async () => {
    const c = await save({
      id: 'pc-noon',
      starts_at: '2026-03-06T12:30:00+08:00',
      scope: { team_id: ['t2'] },
    });
    const impact = await changeImpact(ch, cfg, c, {
      metric: 'fcr',
      beforeDays: 14,
      afterDays: 7,
      asOf: AS_OF,
    });
    expect(impact.before).toMatchObject({ from: '2026-02-20', to: '2026-03-05' });
    expect(impact.after).toMatchObject({ from: '2026-03-07', to: '2026-03-13' });
    expect(impact.control_chart.points.map((p) => p.period)).not.toContain('2026-03-06');
    expect(impact.control_chart.change_index).toBe(14);
    expect(impact.note).toMatch(/12:30:00 local time on 2026-03-06, not at midnight/);
  });

  it('a quantile metric is tested on its mean (Welch) with an individuals chart', async () => {
    const impact = await changeImpact(ch, cfg, change, { metric: 'resolution_time', asOf: AS_OF });
    expect(impact).toMatchObject({ test: 'welch_t', diff_of: 'mean', unit: 'hours' });
    expect(impact.diff!).toBeCloseTo(impact.after.mean! - impact.before.mean!, 9);
    expect(impact.ci_low!).toBeLessThan(impact.diff!);
    expect(impact.p_value!).toBeGreaterThanOrEqual(0);
    expect(impact.control_chart).toMatchObject({ type: 'individuals', change_index: 28 });
    expect(impact.control_chart.points[0]!.ucl!).toBeGreaterThan(impact.control_chart.center!);
  });

  it('NPS uses the NPS variance formula; a count has no test', async () => {
    const nps = await changeImpact(ch, cfg, change, { metric: 'nps', asOf: AS_OF });
    expect(nps.test).toBe('nps_variance');
    expect(nps.diff!).toBeCloseTo(nps.after.value! - nps.before.value!, 9);
    expect(nps.p_value).not.toBeNull();
    const count = await changeImpact(ch, cfg, change, { metric: 'interactions', asOf: AS_OF });
    expect(count).toMatchObject({ test: null, p_value: null, ci_low: null, significant: false });
    expect(count.diff).toBe(count.after.value! - count.before.value!);
    expect(count.control_chart.type).toBe('individuals');
  });

  it('refuses a scope the metric cannot be filtered by', async () => {
    const c = await getChange(ch, cfg, 'pc-t2');
    const err = await rejection(changeImpact(ch, cfg, c, { metric: 'churn_rate', asOf: AS_OF }));
    expect(err.code).toBe('bad_parameter');
    expect(err.message).toMatch(/churn_rate cannot be filtered by the change's scope team_id/);
  });
});

describe('saving, editing and reading changes', () => {
  it('creates with a random id, edits as new versions, and reads back the latest', async () => {
    const created = await save({
      description: 'first draft',
      scope: { team_id: ['t2'], channel: ['phone'] },
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created).toMatchObject({ created_by: 'analyst@example.com', starts_at: PLANTED.startsAt });
    const edited = await saveChange(ch, cfg, {
      id: created.id,
      title: 'One-touch resolution, phone only',
      starts_at: '2026-03-06T00:00:00+08:00',
      user: 'lead@example.com',
    });
    expect(edited.version).toBeGreaterThan(created.version);
    expect(edited).toMatchObject({
      created_by: 'analyst@example.com',
      created_at: created.created_at,
      updated_by: 'lead@example.com',
      description: 'first draft',
      scope: { team_id: ['t2'], channel: ['phone'] },
      starts_at: PLANTED.startsAt,
    });
    expect(await getChange(ch, cfg, created.id)).toEqual(edited);
    const listed = (await listChanges(ch, cfg)).filter((c) => c.id === created.id);
    expect(listed).toEqual([edited]);
    // Both versions are stored; FINAL reads the latest.
    const rs = await ch.query({
      query: `SELECT count() AS c FROM ${cfg.clickhouse.database}.process_changes WHERE id = {id:String}`,
      query_params: { id: created.id },
      format: 'JSONEachRow',
    });
    const [{ c }] = (await rs.json<{ c: string }>()) as [{ c: string }];
    expect(Number(c)).toBeGreaterThanOrEqual(1);
  });

  it('an unknown id is not_found', async () => {
    expect((await rejection(getChange(ch, cfg, 'no-such-change'))).code).toBe('not_found');
  });

  it.each([
    [{ title: undefined }, 'title'],
    [{ title: '   ' }, 'title'],
    [{ title: 'x'.repeat(201) }, 'title'],
    [{ starts_at: '2026-03-06T00:00:00' }, 'starts_at'],
    [{ starts_at: '2026-03-06' }, 'starts_at'],
    [{ starts_at: '2026-02-30T00:00:00Z' }, 'starts_at'],
    [{ scope: { team: ['t2'] } }, 'scope.team'],
    [{ scope: { team_id: [] } }, 'scope.team_id'],
    [{ scope: { team_id: 't2' } }, 'scope.team_id'],
    [{ scope: ['t2'] }, 'scope'],
    [{ user: '' }, 'user'],
    [{ id: 'has space' }, 'id'],
  ])('refuses %j naming %s', async (bad, field) => {
    const err = await rejection(save(bad as Partial<SaveChangeInput>));
    expect(err.code).toBe('bad_parameter');
    expect(err.message.startsWith(`${field}: `), err.message).toBe(true);
    expect(err.details).toEqual({ parameter: field });
  });
});
