import { randomLcg, randomUniform } from 'd3-random';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '../../../infra/clickhouse.ts';
import type { Config } from '../../../infra/config.ts';
import type { CxEvent } from '../../../ingest/events.ts';
import { generateSample } from '../../../sample/index.ts';
import { toRow } from '../../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../../ingest/sink.ts';
import {
  retentionDrivers,
  type DriverResult,
  type RetentionDrivers,
} from '../../../metrics/answer/retention.ts';
import { migrate } from '../../../transforms/migrate.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

/**
 * Retention drivers on generated data with a planted driver (sample/planted.ts `plantedEffects`:
 * customers with many contacts churn more). The events go in with duplicates and shuffled; the window is
 * cut in Asia/Shanghai and ends 91 days before the end of the data, so the 90-day horizon fits (the data
 * run from 2025-06-02 to 2025-11-28 UTC; 2025-08-30 ends at 16:00 UTC, + 90 days < 2025-11-29).
 */

const TZ = 'Asia/Shanghai';
const FROM = '2025-06-02';
const TO = '2025-08-30';
const HORIZON_DAYS = 90;
const DAY_MS = 86_400_000;

let cfg: Config;
let ch: ClickHouseClient;
let result: RetentionDrivers;
const events: CxEvent[] = [
  ...generateSample({ seed: 9, customers: 2000, days: 180, start: new Date('2025-06-02T00:00:00Z') }),
];

beforeAll(async () => {
  cfg = testConfig(testEnv({ CXPULSE_TIMEZONE: TZ }));
  ch = createClickHouse(cfg.clickhouse);
  await migrate(ch, cfg.clickhouse.database);
  const rnd = randomUniform.source(randomLcg(0.31))(0, 1);
  const stream = [...events, ...events.filter(() => rnd() < 0.1)];
  for (let i = stream.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [stream[i], stream[j]] = [stream[j] as CxEvent, stream[i] as CxEvent];
  }
  const sink = new ClickHouseSink(ch, cfg.clickhouse.database);
  for (let i = 0; i < stream.length; i += 5_000) {
    const rows: Record<string, string[]> = { interactions: [], surveys: [], customers: [] };
    stream.slice(i, i + 5_000).forEach((e, k) => {
      const { table, row } = toRow(e, { topic: 't', partition: 0, offset: String(i + k) });
      rows[table]!.push(rowLine(row));
    });
    await sink.write({ rows, dlq: [] });
  }
  result = await retentionDrivers(ch, cfg, { from: FROM, to: TO });
}, 120_000);

afterAll(() => ch?.close());

// ---------------------------------------------------------------- the independent computation

const localDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Per customer with an interaction opened in the window: contacts and churned, from the events alone. */
function reference(from: string, to: string): Map<string, { contacts: number; churned: 0 | 1 }> {
  const opened = new Map<string, { customer: string; t: number }>();
  const firstChurn = new Map<string, number>();
  for (const e of events) {
    const t = Date.parse(e.occurred_at);
    if (e.type === 'interaction.opened') {
      const cur = opened.get(e.interaction_id);
      if (!cur || t < cur.t) opened.set(e.interaction_id, { customer: e.customer_id, t });
    } else if (e.type === 'customer.churned') {
      firstChurn.set(e.customer_id, Math.min(firstChurn.get(e.customer_id) ?? Infinity, t));
    }
  }
  const per = new Map<string, { contacts: number; last: number }>();
  for (const { customer, t } of opened.values()) {
    const day = localDate.format(new Date(t));
    if (day < from || day > to) continue;
    const c = per.get(customer) ?? { contacts: 0, last: -Infinity };
    c.contacts++;
    c.last = Math.max(c.last, t);
    per.set(customer, c);
  }
  const out = new Map<string, { contacts: number; churned: 0 | 1 }>();
  for (const [customer, { contacts, last }] of per) {
    const churn = firstChurn.get(customer);
    const churned = churn !== undefined && churn > last && churn <= last + HORIZON_DAYS * DAY_MS ? 1 : 0;
    out.set(customer, { contacts, churned });
  }
  return out;
}

/** Textbook Pearson r, written here so the check does not lean on metrics/stats/. */
function simplePearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

const byFeature = (r: RetentionDrivers, name: string): DriverResult => {
  const d = r.drivers.find((x) => x.feature === name);
  if (!d) throw new Error(`no driver ${name}`);
  return d;
};

// ---------------------------------------------------------------- the checks

describe('retention drivers find the planted driver', () => {
  it('reports every driver, sorted by |r|', () => {
    expect(result.from).toBe(FROM);
    expect(result.to).toBe(TO);
    expect(result.horizon_days).toBe(HORIZON_DAYS);
    expect(result.note).toMatch(/^Correlation is not causation/);
    expect(result.drivers.map((d) => d.feature).sort()).toEqual(
      [
        'complaint_unresolved',
        'contacts',
        'fcr_share',
        'had_complaint',
        'last_nps_class',
        'mean_csat',
        'worst_first_response_hours',
      ].sort(),
    );
    // Sorted by |r|, nulls last.
    const rs = result.drivers.map((d) => (d.r === null ? -1 : Math.abs(d.r)));
    expect(rs).toEqual([...rs].sort((a, b) => b - a));
    expect(JSON.stringify(result)).not.toMatch(/NaN|Infinity/);
  });

  it('contacts ranks first, significant, with a rising churn rate', () => {
    const [top] = result.drivers;
    expect(top?.feature).toBe('contacts');
    const d = byFeature(result, 'contacts');
    expect(d.r).toBeGreaterThan(0);
    expect(d.p_value).toBeLessThan(0.01);
    expect(d.odds_ratio).toBeGreaterThan(1);
    expect(d.or_ci_low).toBeGreaterThan(1);
    expect(d.spearman).toBeGreaterThan(0);
    expect(d.buckets.map((b) => b.bucket)).toEqual(['1', '2', '3', '4+']);
    const first = d.buckets[0]!;
    const last = d.buckets[3]!;
    expect(last.churn_rate).toBeGreaterThan(first.churn_rate!);
    // Not a fluke of small buckets: the intervals do not overlap.
    expect(last.ci_low).toBeGreaterThan(first.ci_high!);
  });

  it('equals an independent computation of contacts and churned', () => {
    const ref = reference(FROM, TO);
    const ids = [...ref.keys()].sort();
    const x = ids.map((id) => ref.get(id)!.contacts);
    const y = ids.map((id) => ref.get(id)!.churned);
    expect(result.customers).toBe(ids.length);
    expect(result.churned).toBe(y.reduce<number>((a, b) => a + b, 0));
    const d = byFeature(result, 'contacts');
    expect(d.n).toBe(ids.length);
    expect(Math.abs(d.r! - simplePearson(x, y))).toBeLessThanOrEqual(1e-9);
    const bands: [string, (c: number) => boolean][] = [
      ['1', (c) => c === 1],
      ['2', (c) => c === 2],
      ['3', (c) => c === 3],
      ['4+', (c) => c >= 4],
    ];
    for (const [name, has] of bands) {
      const members = ids.filter((_, i) => has(x[i]!));
      const churned = members.filter((id) => ref.get(id)!.churned === 1).length;
      const b = d.buckets.find((bb) => bb.bucket === name)!;
      expect(b.customers, name).toBe(members.length);
      expect(b.churned, name).toBe(churned);
      expect(Math.abs(b.churn_rate! - (churned / members.length) * 100), name).toBeLessThanOrEqual(1e-9);
    }
  });
});

describe('an empty window', () => {
  it('answers customers 0 and drivers with n 0 and nulls, never NaN', async () => {
    const empty = await retentionDrivers(ch, cfg, { from: '2030-01-01', to: '2030-03-31', horizonDays: 30 });
    expect(empty).toMatchObject({ customers: 0, churned: 0, horizon_days: 30 });
    expect(empty.drivers).toHaveLength(7);
    for (const d of empty.drivers) {
      expect(d).toMatchObject({
        n: 0,
        r: null,
        ci_low: null,
        ci_high: null,
        p_value: null,
        spearman: null,
        odds_ratio: null,
        or_ci_low: null,
        or_ci_high: null,
      });
      for (const b of d.buckets)
        expect(b).toMatchObject({ customers: 0, churned: 0, churn_rate: null, ci_low: null, ci_high: null });
    }
    expect(JSON.stringify(empty)).not.toMatch(/NaN|Infinity/);
  });

  it.each([
    [{ from: '2025-02-30', to: '2025-03-01' }, /from: must be a date/],
    [{ from: '2025-03-02', to: '2025-03-01' }, /from: must not be after to/],
    [{ from: '2025-03-01', to: '2025-03-31', horizonDays: 0 }, /horizonDays: must be a whole number/],
  ])('refuses %j', async (req, message) => {
    await expect(retentionDrivers(ch, cfg, req)).rejects.toThrow(message);
  });
});
