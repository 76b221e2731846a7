import { describe, expect, it } from 'vitest';
import { getMetric } from '../../../metrics/catalog.ts';
import { buildMetricQuery } from '../../../metrics/query/builder.ts';
import { bucketValue, QUANTILE_RELATIVE_ERROR } from '../../../metrics/query/histogram.ts';
import { sumsToRaw, toMetricRow } from '../../../metrics/query/value.ts';
import { testConfig } from '../../helpers/env.ts';

/**
 * The rolled-up quantiles' buckets (metrics/query/histogram.ts): the key of a value is computed here
 * independently, from the definition (bucket (γ^(k−1), γ^k], key k + 100,000, 0 for 0, negated for a
 * negative value), and the decoded value must be within the stated bound of every value of its bucket.
 */
const alpha = QUANTILE_RELATIVE_ERROR;
const gamma = (1 + alpha) / (1 - alpha);
const keyOf = (v: number): number =>
  v === 0 ? 0 : Math.sign(v) * (Math.ceil(Math.log(Math.abs(v)) / Math.log(gamma)) + 100_000);

describe('the quantile histogram buckets', () => {
  it('the bound is 1 %', () => expect(alpha).toBe(0.01));

  it('decode a bucket within the bound of every value in it, both edges included', () => {
    for (const v of [1e-6, 0.01, 0.5, 1, 2, 3, 15, 29.999, 30, 3600, 86_400, 1e7, -4, -1800]) {
      const got = bucketValue(keyOf(v));
      expect(Math.abs(got - v) / Math.abs(v), `${v} → ${got}`).toBeLessThanOrEqual(alpha * (1 + 1e-9));
      const k = Math.abs(keyOf(v)) - 100_000;
      for (const edge of [Math.pow(gamma, k), Math.pow(gamma, k - 1) * (1 + 1e-12)])
        expect(Math.abs(bucketValue(keyOf(v)) - Math.sign(v) * edge) / edge).toBeLessThanOrEqual(
          alpha * (1 + 1e-9),
        );
    }
    expect(bucketValue(0)).toBe(0);
  });

  it('keys sort as the values do', () => {
    const vs = [-100, -1, -0.5, 0, 0.5, 1, 100];
    const decoded = vs.map((v) => bucketValue(keyOf(v)));
    expect([...decoded].sort((a, b) => a - b)).toEqual(decoded);
  });
});

describe('quantiles from the rollups', () => {
  const cfg = testConfig({ database: 'cx' });
  it('a rollup query of a quantile metric sums the histograms and picks the keys at ⌊level · n⌋', () => {
    const m = getMetric('first_response_time');
    const q = buildMetricQuery(
      m,
      { from: '2026-01-05', to: '2026-02-08', grain: 'week', by: ['channel'], filters: {} },
      cfg,
      'rollup',
    );
    expect(q.sql).toContain(
      'arrayFirstIndex(c -> c > floor(0.5 * (sum(n))), arrayCumSum(tupleElement(sumMap(qk, qc), 2)))',
    );
    expect(q.sql).toContain('AS k90');
  });

  it('by day, with each group one rollup row, reads the row’s own histogram (no sumMap)', () => {
    const m = getMetric('first_response_time');
    const day = { from: '2026-01-05', to: '2026-02-08', grain: 'day' as const, by: ['channel' as const] };
    const own = buildMetricQuery(m, { ...day, filters: { channel: ['chat'] } }, cfg, 'rollup').sql;
    expect(own).toContain('qk[arrayFirstIndex(c -> c > floor(0.5 * (n)), arrayCumSum(qc))] AS k50');
    expect(own).not.toMatch(/sumMap|GROUP BY/);
    // a filter on a dimension not grouped by: the rows of several groups are summed
    const summed = buildMetricQuery(m, { ...day, filters: { priority: ['high'] } }, cfg, 'rollup').sql;
    expect(summed).toContain('sumMap(qk, qc)');
  });

  it('the response row: median and p90 from the keys, the mean exact, the bound told', () => {
    const m = getMetric('first_response_time');
    const k50 = keyOf(30);
    const k90 = keyOf(300);
    const raw = sumsToRaw(m, { period: 'total', sx: 1000, sn: 20, ss2: 0, spro: 0, sdet: 0, k50, k90 }, []);
    const row = toMetricRow(m, raw, []);
    expect(row.mean).toBe(50);
    expect(Math.abs((row.value as number) - 30) / 30).toBeLessThanOrEqual(alpha);
    expect(Math.abs((row.p90 as number) - 300) / 300).toBeLessThanOrEqual(alpha);
    expect(row.relative_error).toBe(0.01);
    expect(row.n).toBe(20);
  });

  it('a quantile row from the facts is exact and says nothing of an error', () => {
    const m = getMetric('first_response_time');
    const row = toMetricRow(m, { period: 'total', n: 3, x: 2, p50: 2, p90: 3 }, []);
    expect(row.relative_error).toBeUndefined();
  });
});
