import { createHash } from 'node:crypto';
import { randomLcg, randomLogNormal, randomUniform } from 'd3-random';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '../../../infra/clickhouse.ts';
import type { Config } from '../../../infra/config.ts';
import type { CxEvent } from '../../../ingest/events.ts';
import { toRow } from '../../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../../ingest/sink.ts';
import { answerMetric, type MetricAnswer } from '../../../metrics/answer/metric.ts';
import { CATALOG, getMetric } from '../../../metrics/catalog.ts';
import { rollupFingerprint } from '../../../metrics/query/rollup-state.ts';
import type { Grain, Store } from '../../../metrics/query/request.ts';
import type { Dimension } from '../../../metrics/types.ts';
import { migrate } from '../../../transforms/migrate.ts';
import { refreshRollups } from '../../../transforms/refresh.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

/**
 * First-response and resolution quantiles from the daily rollups (metrics/query/histogram.ts) against
 * the exact values computed here from the planted durations: heavily skewed (log-normal, a spread of
 * several orders of magnitude per channel, ties of whole seconds), by day × channel and over the month.
 * The stated bound: p50 and p90 within 1 % of the exact value at the same rank (the facts path's
 * ⌊level · n⌋ of the sorted values), the mean exact; the facts path stays exact.
 */

const DAYS = 31;
const START = Date.parse('2026-03-01T00:00:00Z');
const CHANNELS = ['phone', 'chat', 'email', 'social'] as const;
/** log-normal location of the first response seconds per channel (phone ~ 20 s … email ~ 2 h) */
const MU: Record<string, number> = { phone: 3, chat: 2.5, email: 9, social: 7 };
const AS_OF = new Date('2026-04-02T00:00:00Z');

interface Planted {
  day: string;
  channel: string;
  frs: number;
  hours: number;
}
let cfg: Config;
let ch: ClickHouseClient;
const planted: Planted[] = [];
const events: CxEvent[] = [];

function plant(): void {
  const src = randomLcg(0.4242);
  const u = randomUniform.source(src)(0, 1);
  let id = 0;
  for (let d = 0; d < DAYS; d++) {
    for (const channel of CHANNELS) {
      const frsOf = randomLogNormal.source(src)(MU[channel] as number, 1.4);
      const count = 20 + Math.floor(u() * 40);
      for (let i = 0; i < count; i++) {
        const iid = `q${++id}`;
        const opened = START + d * 86_400_000 + Math.floor(u() * 80_000_000);
        // a third in whole seconds (ties), the others to the millisecond
        const raw = frsOf();
        const frMs = Math.max(1, u() < 0.33 ? Math.round(raw) * 1000 : Math.round(raw * 1000));
        const resMs = frMs + Math.round(randomLogNormal.source(src)(8, 1.8)() * 1000);
        const ev = (n: number, type: string, at: number, extra: Record<string, unknown> = {}) =>
          ({
            event_id: `00000000-0000-4000-8000-${String(id * 10 + n).padStart(12, '0')}`,
            type,
            occurred_at: new Date(at).toISOString(),
            interaction_id: iid,
            schema_version: 1,
            ...extra,
          }) as CxEvent;
        events.push(
          ev(1, 'interaction.opened', opened, {
            customer_id: `c${id % 300}`,
            channel,
            category: 'inquiry',
            priority: 'normal',
          }),
          ev(2, 'interaction.first_response', opened + frMs, { agent_id: 'a1', team_id: 't1' }),
          ev(3, 'interaction.resolved', opened + resMs, { agent_id: 'a1' }),
        );
        const day = new Date(opened).toISOString().slice(0, 10);
        planted.push({ day, channel, frs: frMs / 1000, hours: resMs / 3_600_000 });
      }
    }
  }
}

beforeAll(async () => {
  plant();
  cfg = testConfig(testEnv({ CXPULSE_TIMEZONE: 'UTC' }));
  ch = createClickHouse(cfg.clickhouse);
  await migrate(ch, cfg.clickhouse.database);
  const sink = new ClickHouseSink(ch, cfg.clickhouse.database);
  for (let i = 0; i < events.length; i += 5_000) {
    const rows: Record<string, string[]> = { interactions: [], surveys: [], customers: [] };
    events.slice(i, i + 5_000).forEach((e, k) => {
      const { table, row } = toRow(e, { topic: 't', partition: 0, offset: String(i + k) });
      rows[table]!.push(rowLine(row));
    });
    await sink.write({ rows, dlq: [] });
  }
  await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
}, 180_000);

afterAll(() => ch?.close());

/** The Monday of a day's week (the API's weeks start on Monday). */
function monday(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
}

/** The exact p50, p90 (0-based rank ⌊level · n⌋ of the sorted values) and mean of each group. */
function exact(value: (p: Planted) => number, grain: Grain, by: Dimension[]) {
  const groups = new Map<string, number[]>();
  for (const p of planted) {
    const period =
      grain === 'day'
        ? p.day
        : grain === 'week'
          ? monday(p.day)
          : grain === 'month'
            ? `${p.day.slice(0, 7)}-01`
            : 'total';
    const key = [period, ...by.map(() => p.channel)].join('|');
    groups.set(key, [...(groups.get(key) ?? []), value(p)]);
  }
  const out = new Map<string, { p50: number; p90: number; mean: number; n: number }>();
  for (const [k, vs] of groups) {
    const s = [...vs].sort((a, b) => a - b);
    const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
    out.set(k, { p50: at(0.5), p90: at(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length });
  }
  return out;
}

const CASES: { metric: string; value: (p: Planted) => number; grain: Grain; by: Dimension[] }[] = [
  { metric: 'first_response_time', value: (p) => p.frs, grain: 'day', by: ['channel'] },
  { metric: 'first_response_time', value: (p) => p.frs, grain: 'month', by: [] },
  { metric: 'first_response_time', value: (p) => p.frs, grain: 'day', by: [] },
  { metric: 'resolution_time', value: (p) => p.hours, grain: 'week', by: ['channel'] },
  { metric: 'first_response_time', value: (p) => p.frs, grain: 'month', by: ['channel'] },
  { metric: 'resolution_time', value: (p) => p.hours, grain: 'day', by: ['channel'] },
  { metric: 'resolution_time', value: (p) => p.hours, grain: 'total', by: [] },
];

const ask = (metric: string, grain: Grain, by: Dimension[], store: Store | 'auto'): Promise<MetricAnswer> =>
  answerMetric(ch, cfg, getMetric(metric), {
    from: '2026-03-01',
    to: '2026-03-31',
    grain,
    by,
    filters: {},
    asOf: AS_OF,
    store,
  });

const within = (got: unknown, want: number, rel: number): number =>
  Math.abs((got as number) - want) / Math.max(Math.abs(want), 1e-12) - rel;

describe('quantiles from the rollups equal the exact values within the stated 1 %', () => {
  it('the planted durations are skewed: p90 several times the median', () => {
    const all = exact((p) => p.frs, 'total', []).get('total')!;
    expect(all.n).toBe(planted.length);
    expect(all.p90 / all.p50).toBeGreaterThan(5);
  });

  it.each(CASES)(
    '$metric by $grain × $by: auto answers from the rollups',
    async ({ metric, value, grain, by }) => {
      const a = await ask(metric, grain, by, 'auto');
      expect(a.store).toBe('rollup');
      const want = exact(value, grain, by);
      expect(a.rows.map((r) => [r.period, ...by.map((b) => r[b])].join('|')).sort()).toEqual(
        [...want.keys()].sort(),
      );
      for (const r of a.rows) {
        const w = want.get([r.period, ...by.map((b) => r[b])].join('|'))!;
        expect(r.n).toBe(w.n);
        expect(r.relative_error).toBe(0.01);
        expect(within(r.value, w.p50, 0.01), `${r.period} p50 ${r.value} vs ${w.p50}`).toBeLessThanOrEqual(
          1e-9,
        );
        expect(within(r.p90, w.p90, 0.01), `${r.period} p90 ${r.p90} vs ${w.p90}`).toBeLessThanOrEqual(1e-9);
        expect(within(r.mean, w.mean, 0), `${r.period} mean`).toBeLessThanOrEqual(1e-9);
      }
    },
  );

  it.each(CASES)(
    '$metric by $grain × $by: the facts path stays exact',
    async ({ metric, value, grain, by }) => {
      const a = await ask(metric, grain, by, 'facts');
      const want = exact(value, grain, by);
      for (const r of a.rows) {
        const w = want.get([r.period, ...by.map((b) => r[b])].join('|'))!;
        expect(r.relative_error).toBeUndefined();
        expect(within(r.value, w.p50, 0)).toBeLessThanOrEqual(1e-9);
        expect(within(r.p90, w.p90, 0)).toBeLessThanOrEqual(1e-9);
      }
    },
  );
});

describe('the analysts’ view v_kpi_daily', () => {
  it('shows a quantile KPI’s day by channel as its median within 1 % and its exact mean', async () => {
    const rs = await ch.query({
      query: `SELECT toString(day) AS day, channel, value, numerator / n AS mean, n
              FROM ${cfg.clickhouse.database}.v_kpi_daily
              WHERE metric = 'first_response_time' AND grouped_by = ['channel']`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ day: string; channel: string; value: number; mean: number; n: string }>();
    const want = exact((p) => p.frs, 'day', ['channel']);
    expect(rows.map((r) => `${r.day}|${r.channel}`).sort()).toEqual([...want.keys()].sort());
    for (const r of rows) {
      const w = want.get(`${r.day}|${r.channel}`)!;
      expect(Number(r.n)).toBe(w.n);
      expect(
        within(r.value, w.p50, 0.01),
        `${r.day} ${r.channel} ${r.value} vs ${w.p50}`,
      ).toBeLessThanOrEqual(1e-9);
      expect(within(r.mean, w.mean, 0)).toBeLessThanOrEqual(1e-9);
    }
  });
});

describe('a store whose rollups were built by other code', () => {
  const db = () => cfg.clickhouse.database;
  /** Record a refresh state like the last one but with this fingerprint, and empty the rollups. */
  async function recorded(fingerprint: string): Promise<void> {
    await ch.command({
      query: `INSERT INTO ${db()}.rollup_state
              SELECT * REPLACE (version + 1 AS version, {fp:String} AS fingerprint)
              FROM ${db()}.rollup_state ORDER BY version DESC LIMIT 1`,
      query_params: { fp: fingerprint },
    });
    await ch.command({ query: `TRUNCATE TABLE ${db()}.kpi_daily` });
  }
  const frs = async () => (await ask('first_response_time', 'day', ['channel'], 'auto')).rows;

  it('gets every day of rollups rebuilt from the stored facts when only the rollups part differs', async () => {
    const before = await frs();
    const [facts] = rollupFingerprint(cfg).split('.');
    await recorded(`${facts}.0123456789abcdef`);
    expect((await ask('first_response_time', 'day', ['channel'], 'auto')).store).toBe('raw');
    const r = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
    expect(r).toMatchObject({ fullRebuild: false, allDaysRebuilt: true, interactionsRewritten: 0 });
    expect(r.daysRebuilt).toBe(DAYS);
    expect(await frs()).toEqual(before);
  });

  it('takes a fingerprint of the previous format (one hash) for the same configuration as current facts', async () => {
    const metrics = CATALOG.map((m) => [m.name, m.kind, m.source, m.sql]);
    const basis = { format: 2, timeZone: cfg.timeZone, policy: cfg.policy, metrics };
    await recorded(createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 16));
    const r = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
    expect(r).toMatchObject({ fullRebuild: false, allDaysRebuilt: true, interactionsRewritten: 0 });
    // another time zone then: the facts are not current, everything is rebuilt
    await recorded(
      createHash('sha256')
        .update(JSON.stringify({ ...basis, timeZone: 'Asia/Tokyo' }))
        .digest('hex')
        .slice(0, 16),
    );
    const full = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
    expect(full).toMatchObject({
      fullRebuild: true,
      allDaysRebuilt: true,
      interactionsRewritten: planted.length,
    });
    expect((await ask('first_response_time', 'month', [], 'auto')).rows[0]?.n).toBe(planted.length);
  });
});
