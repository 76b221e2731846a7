/**
 * metrics/stats/ against references it does not share code with: published worked examples
 * (Newcombe 1998, R's `t.test` on the `sleep` data, Anscombe's quartet, Wikipedia's Spearman example,
 * Montgomery's p-chart example) and jStat, an independent library, evaluated at test time. Every
 * number is compared to 1e-6 or better unless the published source itself only gives fewer digits.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CxError } from '../../../infra/errors.ts';
import {
  LOW_CONFIDENCE_N,
  individualsChart,
  isLowConfidence,
  logisticOddsRatio,
  meanInterval,
  npsDifference,
  npsInterval,
  pChart,
  pearson,
  spearman,
  targetStatus,
  twoProportionZTest,
  welchTTest,
  wilson,
} from '../../../metrics/stats/index.ts';

/** The part of jStat (untyped CommonJS) that these tests use. */
interface JStat {
  normal: {
    cdf(x: number, mean: number, sd: number): number;
    inv(p: number, mean: number, sd: number): number;
  };
  studentt: { cdf(x: number, df: number): number; inv(p: number, df: number): number };
  mean(values: number[]): number;
  /** Population SD by default; sample SD (n − 1) with `true`. */
  stdev(values: number[], sample?: boolean): number;
  /** Population variance by default. */
  variance(values: number[], sample?: boolean): number;
  diff(values: number[]): number[];
  corrcoeff(a: number[], b: number[]): number;
  spearmancoeff(a: number[], b: number[]): number;
  /** Two-sided (sides = 2) p-value of a z score. */
  ztest(z: number, sides: number): number;
  /** [mean − t·sd/√n, mean + t·sd/√n] at level 1 − alpha. */
  tci(mean: number, alpha: number, sd: number, n: number): [number, number];
  fn: { twoSidedDifferenceOfProportions(p1: number, n1: number, p2: number, n2: number): number };
}
const requireCjs = createRequire(import.meta.url);
const { jStat } = requireCjs('jstat') as { jStat: JStat };

const TOL = 1e-6;
const Z975 = jStat.normal.inv(0.975, 0, 1);

function near(actual: number | null | undefined, expected: number, tol = TOL): void {
  expect(actual).not.toBeNull();
  expect(actual).toBeTypeOf('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(tol);
}

/** Every number anywhere in a result is finite: the "null, never NaN / Infinity" contract. */
function expectNoNaN(value: unknown): void {
  if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
  else if (Array.isArray(value)) value.forEach(expectNoNaN);
  else if (value !== null && typeof value === 'object') Object.values(value).forEach(expectNoNaN);
}

function expectBadParameter(fn: () => unknown): void {
  expect(fn).toThrow(CxError);
  try {
    fn();
  } catch (err) {
    expect((err as CxError).code).toBe('bad_parameter');
  }
}

/** Per-respondent NPS scores: +1 promoter, −1 detractor, 0 passive. */
function npsScores(promoters: number, detractors: number, n: number): number[] {
  return [
    ...Array<number>(promoters).fill(1),
    ...Array<number>(detractors).fill(-1),
    ...Array<number>(n - promoters - detractors).fill(0),
  ];
}

function summary(values: number[]): { mean: number; sd: number; n: number } {
  return { mean: jStat.mean(values), sd: jStat.stdev(values, true), n: values.length };
}

describe('wilson', () => {
  // Newcombe (1998), Statistics in Medicine 17:857–872, Table II, method 3 (score, no continuity
  // correction); published to 4 decimals.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('matches Newcombe 1998 for %i/%i', (x, n, low, high) => {
    const ci = wilson(x, n);
    near(ci.p, x / n, 1e-15);
    near(ci.low, low, 5e-5);
    near(ci.high, high, 5e-5);
  });

  // The Wilson limits are the p at which the score test |p̂ − p| / √(p(1 − p)/n) has two-sided p-value
  // exactly 1 − confidence; checked with jStat's normal distribution.
  it.each([
    [81, 263, 0.95],
    [15, 148, 0.9],
    [1, 29, 0.99],
    [7, 7, 0.95],
    [1, 1, 0.95],
    [3, 10, 0.8],
  ])('inverts the score test for %i/%i at %f', (x, n, confidence) => {
    const ci = wilson(x, n, confidence);
    const phat = x / n;
    for (const limit of [ci.low, ci.high]) {
      expect(limit).not.toBeNull();
      const p = limit as number;
      if (p === 0 || p === 1) {
        // A limit at the edge of [0, 1] only where p̂ itself is there.
        expect(p).toBe(phat);
        continue;
      }
      const z = Math.abs(phat - p) / Math.sqrt((p * (1 - p)) / n);
      near(z, jStat.normal.inv(0.5 + confidence / 2, 0, 1), 1e-9);
      near(2 * jStat.normal.cdf(-z, 0, 1), 1 - confidence, 1e-9);
    }
  });

  it('returns nulls for n = 0 and rejects impossible counts', () => {
    expect(wilson(0, 0)).toEqual({ p: null, low: null, high: null });
    expectBadParameter(() => wilson(5, 3));
    expectBadParameter(() => wilson(-1, 3));
    expectBadParameter(() => wilson(1, 3, 1));
    expectBadParameter(() => wilson(1, 3, 0));
  });
});

describe('npsInterval', () => {
  // The docs/metrics.md margin of error is z times the standard error of the mean of the +1/0/−1 scores;
  // the reference is computed from those scores with jStat.
  it.each([
    [50, 20, 100],
    [412, 133, 1000],
    [3, 5, 11],
    [0, 0, 4],
    [1, 0, 1],
  ])('%i promoters, %i detractors of %i match the per-respondent variance', (pro, det, n) => {
    const scores = npsScores(pro, det, n);
    const r = npsInterval(pro, det, n);
    const nps = 100 * jStat.mean(scores);
    const moe = 100 * Z975 * (jStat.stdev(scores) / Math.sqrt(n));
    near(r.nps, nps, 1e-9);
    near(r.moe, moe, 1e-9);
    near(r.low, Math.max(-100, nps - moe), 1e-9);
    near(r.high, Math.min(100, nps + moe), 1e-9);
  });

  it('follows the docs/metrics.md formula literally, worked by hand', () => {
    // p⁺ = .5, p⁻ = .2: .5·.5 + .2·.8 + 2·.5·.2 = .61; moe = z·√(.61/100)·100.
    const r = npsInterval(50, 20, 100);
    near(r.nps, 30, 1e-12);
    near(r.moe, Z975 * Math.sqrt(0.0061) * 100, 1e-9);
    const r90 = npsInterval(50, 20, 100, 0.9);
    near(r90.moe, jStat.normal.inv(0.95, 0, 1) * Math.sqrt(0.0061) * 100, 1e-9);
  });

  it('clamps the interval to −100..100 and returns nulls for n = 0', () => {
    const r = npsInterval(9, 0, 10);
    near(r.nps, 90, 1e-12);
    expect(r.high).toBe(100);
    expect(npsInterval(10, 0, 10)).toEqual({ nps: 100, moe: 0, low: 100, high: 100 });
    expect(npsInterval(0, 0, 0)).toEqual({ nps: null, moe: null, low: null, high: null });
    expectBadParameter(() => npsInterval(6, 5, 10));
  });
});

describe('meanInterval', () => {
  it.each([
    [0.75, 1.78901, 10, 0.95],
    [4.2, 0.9, 31, 0.95],
    [182.5, 240.1, 5, 0.9],
    [3, 1, 2, 0.99],
  ])('mean %f, sd %f, n %i matches jStat.tci', (m, sd, n, confidence) => {
    const r = meanInterval(m, sd, n, confidence);
    const [low, high] = jStat.tci(m, 1 - confidence, sd, n);
    expect(r.mean).toBe(m);
    near(r.low, low);
    near(r.high, high);
  });

  it('returns null limits below n = 2 and all nulls for n = 0', () => {
    expect(meanInterval(4, 0, 1)).toEqual({ mean: 4, low: null, high: null });
    expect(meanInterval(null, null, 0)).toEqual({ mean: null, low: null, high: null });
    expect(meanInterval(4, NaN, 0)).toEqual({ mean: null, low: null, high: null });
    expect(meanInterval(4, null, 12)).toEqual({ mean: 4, low: null, high: null });
    expect(meanInterval(4, 0, 12)).toEqual({ mean: 4, low: 4, high: 4 });
  });
});

describe('targetStatus', () => {
  it.each([
    // CSAT ≥ 90 %: at risk down to 88 %.
    [91, 90, 'higher', 'rate', 'met'],
    [90, 90, 'higher', 'rate', 'met'],
    [(27 / 30) * 100, 90, 'higher', 'rate', 'met'], // 90.00000000000001
    [89.99999999999999, 90, 'higher', 'rate', 'met'],
    [89, 90, 'higher', 'rate', 'at_risk'],
    [88, 90, 'higher', 'rate', 'at_risk'],
    [87.99, 90, 'higher', 'rate', 'missed'],
    // churn ≤ 5 %: at risk up to 7 %.
    [4, 5, 'lower', 'rate', 'met'],
    [7, 5, 'lower', 'rate', 'at_risk'],
    [7.01, 5, 'lower', 'rate', 'missed'],
    // chat first response ≤ 15 s: at risk up to 16.5 s (10 %).
    [15, 15, 'lower', 'time', 'met'],
    [16.5, 15, 'lower', 'time', 'at_risk'],
    [16.6, 15, 'lower', 'time', 'missed'],
    [3900, 3600, 'lower', 'time', 'at_risk'],
    [3961, 3600, 'lower', 'time', 'missed'],
    // a score in points, e.g. an NPS goal of 40.
    [38, 40, 'higher', 'score', 'at_risk'],
    [37.9, 40, 'higher', 'score', 'missed'],
    [-10, -5, 'higher', 'score', 'missed'],
  ] as const)('%f against %f (%s is better, %s) is %s', (value, target, direction, kind, status) => {
    expect(targetStatus(value, target, direction, kind)).toBe(status);
  });

  it('is null without a value and flags low confidence below 30', () => {
    expect(targetStatus(null, 90, 'higher', 'rate')).toBeNull();
    expect(targetStatus(NaN, 90, 'higher', 'rate')).toBeNull();
    expect(LOW_CONFIDENCE_N).toBe(30);
    expect(isLowConfidence(0)).toBe(true);
    expect(isLowConfidence(29)).toBe(true);
    expect(isLowConfidence(30)).toBe(false);
  });
});

describe('twoProportionZTest', () => {
  it('matches Newcombe 1998 (difference of proportions) for the Wald interval of 56/70 − 48/80', () => {
    // Newcombe (1998), Statistics in Medicine 17:873–890, Table II example (a), method 1: 0.0575, 0.3425.
    const r = twoProportionZTest(48, 80, 56, 70);
    near(r.diff, 0.2, 1e-12);
    near(r.ci_low, 0.0575, 5e-5);
    near(r.ci_high, 0.3425, 5e-5);
  });

  it.each([
    [48, 80, 56, 70],
    [120, 400, 95, 410],
    [3, 12, 9, 14],
    [0, 25, 4, 30],
  ])('%i/%i vs %i/%i matches jStat (pooled test, unpooled interval)', (x1, n1, x2, n2) => {
    const r = twoProportionZTest(x1, n1, x2, n2);
    const p1 = x1 / n1;
    const p2 = x2 / n2;
    near(r.p1, p1, 1e-15);
    near(r.p2, p2, 1e-15);
    const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
    near(r.ci_low, p2 - p1 - Z975 * se);
    near(r.ci_high, p2 - p1 + Z975 * se);
    if (p1 > 0 && p2 > 0) {
      // jStat's difference-of-proportions test (pooled SE), independent of our code.
      const pValue = jStat.fn.twoSidedDifferenceOfProportions(p1, n1, p2, n2);
      near(r.p_value, pValue);
      near(Math.abs(r.z as number), -jStat.normal.inv(pValue / 2, 0, 1), 1e-6);
    }
    const pooled = (x1 + x2) / (n1 + n2);
    near(r.z, (p2 - p1) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)), 1e-12);
    near(r.p_value, jStat.ztest(r.z as number, 2));
  });

  it('returns nulls where the test is undefined', () => {
    expect(twoProportionZTest(0, 0, 3, 10)).toEqual({
      p1: null,
      p2: 0.3,
      diff: null,
      ci_low: null,
      ci_high: null,
      z: null,
      p_value: null,
    });
    const same = twoProportionZTest(10, 10, 20, 20);
    expect(same).toMatchObject({ diff: 0, z: null, p_value: null });
    expectNoNaN(same);
  });
});

describe('welchTTest', () => {
  // R's sleep data; R: t.test(extra ~ group, data = sleep) gives t = -1.86081346748685,
  // df = 17.7764735161785, p-value = 0.07939, 95 % CI -3.36548323071171 0.20548323071171 for
  // group 1 − group 2. Our diff is b − a, so signs flip.
  const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

  it("matches R's Welch t-test on the sleep data", () => {
    const r = welchTTest(summary(group1), summary(group2));
    near(r.diff, 1.58, 1e-12);
    near(r.t, 1.86081346748685, 1e-12);
    near(r.df, 17.7764735161785, 1e-10);
    near(r.ci_low, -0.20548323071171, 1e-10);
    near(r.ci_high, 3.36548323071171, 1e-10);
    near(r.p_value, 0.07939, 5e-6);
  });

  it.each([
    [summary(group1), summary(group2)],
    [
      { mean: 312, sd: 95, n: 40 },
      { mean: 280, sd: 140, n: 25 },
    ],
    [
      { mean: 4.1, sd: 0.8, n: 3 },
      { mean: 4.4, sd: 0, n: 50 },
    ],
  ])('matches jStat’s t distribution (case %#)', (a, b) => {
    const r = welchTTest(a, b);
    const va = a.sd ** 2 / a.n;
    const vb = b.sd ** 2 / b.n;
    const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
    const t = (b.mean - a.mean) / Math.sqrt(va + vb);
    near(r.df, df, 1e-9);
    near(r.t, t, 1e-9);
    near(r.p_value, 2 * jStat.studentt.cdf(-Math.abs(t), df));
    const half = jStat.studentt.inv(0.975, df) * Math.sqrt(va + vb);
    near(r.ci_low, b.mean - a.mean - half);
    near(r.ci_high, b.mean - a.mean + half);
  });

  it('returns nulls for n < 2 or zero variance', () => {
    const none = { ci_low: null, ci_high: null, t: null, df: null, p_value: null };
    expect(welchTTest({ mean: 1, sd: 0, n: 1 }, { mean: 3, sd: 1, n: 10 })).toEqual({ diff: 2, ...none });
    expect(welchTTest({ mean: null, sd: null, n: 0 }, { mean: 3, sd: 1, n: 10 })).toEqual({
      diff: null,
      ...none,
    });
    expect(welchTTest({ mean: 1, sd: 0, n: 5 }, { mean: 3, sd: 0, n: 5 })).toEqual({ diff: 2, ...none });
  });
});

describe('npsDifference', () => {
  it.each([
    [
      { promoters: 40, detractors: 25, n: 120 },
      { promoters: 62, detractors: 18, n: 130 },
    ],
    [
      { promoters: 300, detractors: 300, n: 1000 },
      { promoters: 290, detractors: 310, n: 900 },
    ],
    [
      { promoters: 2, detractors: 1, n: 3 },
      { promoters: 1, detractors: 1, n: 2 },
    ],
  ])('matches the variance of the +1/0/−1 scores computed with jStat (case %#)', (before, after) => {
    const s1 = npsScores(before.promoters, before.detractors, before.n);
    const s2 = npsScores(after.promoters, after.detractors, after.n);
    const diff = jStat.mean(s2) - jStat.mean(s1);
    const se = Math.sqrt(jStat.variance(s1) / s1.length + jStat.variance(s2) / s2.length);
    const r = npsDifference(before, after);
    near(r.diff, 100 * diff, 1e-9);
    near(r.z, diff / se, 1e-9);
    near(r.p_value, jStat.ztest(diff / se, 2));
    near(r.ci_low, 100 * (diff - Z975 * se), 1e-9);
    near(r.ci_high, 100 * (diff + Z975 * se), 1e-9);
    const nb = npsInterval(before.promoters, before.detractors, before.n).nps as number;
    const na = npsInterval(after.promoters, after.detractors, after.n).nps as number;
    near(r.diff, na - nb, 1e-9);
  });

  it('returns nulls for n = 0 and an undefined test without variance', () => {
    expect(
      npsDifference({ promoters: 0, detractors: 0, n: 0 }, { promoters: 1, detractors: 0, n: 2 }),
    ).toEqual({ diff: null, ci_low: null, ci_high: null, z: null, p_value: null });
    const allPromoters = npsDifference(
      { promoters: 5, detractors: 0, n: 5 },
      { promoters: 0, detractors: 4, n: 4 },
    );
    expect(allPromoters).toEqual({ diff: -200, ci_low: -200, ci_high: -200, z: null, p_value: null });
  });
});

describe('pearson', () => {
  // Anscombe's quartet, set I; R: cor.test(anscombe$x1, anscombe$y1) gives r = 0.8164205,
  // t = 4.2415, df = 9, p-value = 0.00217, 95 % CI 0.4243912 0.9506933.
  const ax = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5];
  const ay = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68];

  it("matches Anscombe's set I and jStat", () => {
    const r = pearson(ax, ay);
    expect(r.n).toBe(11);
    near(r.r, 0.8164205, 5e-8);
    near(r.r, jStat.corrcoeff(ax, ay), 1e-12);
    near(r.p_value, 0.00217, 5e-6);
    near(r.ci_low, 0.4243912, 5e-8);
    near(r.ci_high, 0.9506933, 5e-8);
    const rr = r.r as number;
    const t = rr * Math.sqrt(9 / (1 - rr * rr));
    near(t, 4.2415, 5e-5);
    near(r.p_value, 2 * jStat.studentt.cdf(-t, 9));
    const fz = 0.5 * Math.log((1 + rr) / (1 - rr));
    near(r.ci_low, Math.tanh(fz - Z975 / Math.sqrt(8)));
    near(r.ci_high, Math.tanh(fz + Z975 / Math.sqrt(8)));
  });

  it('is the point-biserial correlation for a 0/1 variable', () => {
    const flag = [1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0];
    const y = [3.1, 4.5, 4.0, 2.2, 2.9, 4.8, 3.3, 3.9, 4.4, 5.0, 1.8, 4.1];
    const ones = y.filter((_, i) => flag[i] === 1);
    const zeros = y.filter((_, i) => flag[i] === 0);
    const n = y.length;
    // r_pb = (M1 − M0) / s_n · √(n1·n0 / n²), with the population SD s_n.
    const rpb =
      ((jStat.mean(ones) - jStat.mean(zeros)) / jStat.stdev(y)) *
      Math.sqrt((ones.length * zeros.length) / n ** 2);
    const r = pearson(flag, y);
    near(r.r, rpb, 1e-12);
    const t = rpb * Math.sqrt((n - 2) / (1 - rpb * rpb));
    near(r.p_value, 2 * jStat.studentt.cdf(-Math.abs(t), n - 2));
  });

  it('leaves out incomplete pairs', () => {
    const r = pearson([1, 2, null, 4, 5, NaN], [2, 1, 7, 5, 4, 9]);
    expect(r).toEqual(pearson([1, 2, 4, 5], [2, 1, 5, 4]));
    expect(r.n).toBe(4);
    expectBadParameter(() => pearson([1, 2], [1]));
  });

  it('returns nulls for small or constant samples', () => {
    expect(pearson([], [])).toEqual({ r: null, n: 0, ci_low: null, ci_high: null, p_value: null });
    expect(pearson([1], [2])).toEqual({ r: null, n: 1, ci_low: null, ci_high: null, p_value: null });
    expect(pearson([1, 2], [2, 4])).toMatchObject({ n: 2, ci_low: null, ci_high: null, p_value: null });
    expect(pearson([1, 2, 3], [5, 5, 5])).toEqual({
      r: null,
      n: 3,
      ci_low: null,
      ci_high: null,
      p_value: null,
    });
    expect(pearson([1, 2, 3], [1, 3, 2])).toMatchObject({ n: 3, ci_low: null, ci_high: null });
    const perfect = pearson([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
    near(perfect.r, 1, 1e-12);
    near(perfect.p_value, 0, 1e-12);
    expectNoNaN(perfect);
  });
});

describe('spearman', () => {
  // Wikipedia, "Spearman's rank correlation coefficient", worked example (IQ vs. hours of TV):
  // ρ = −29/165 ≈ −0.175757575, p = 0.627188 from the t distribution.
  it("matches Wikipedia's worked example", () => {
    const iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110];
    const tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17];
    const r = spearman(iq, tv);
    expect(r.n).toBe(10);
    near(r.rho, -29 / 165, 1e-12);
    near(r.p_value, 0.627188, 5e-7);
  });

  it('averages the ranks of ties (hand-worked and jStat)', () => {
    // ranks x: 1, 2.5, 2.5, 4; y: 1, 3, 2, 4 → Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → ρ = 3/√10.
    near(spearman([1, 2, 2, 3], [1, 3, 2, 4]).rho, 3 / Math.sqrt(10), 1e-12);
    const x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7];
    const y = [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4, 5, 9, 0];
    const r = spearman(x, y);
    const rho = jStat.spearmancoeff(x, y);
    near(r.rho, rho, 1e-12);
    const t = rho * Math.sqrt((x.length - 2) / (1 - rho * rho));
    near(r.p_value, 2 * jStat.studentt.cdf(-Math.abs(t), x.length - 2));
  });

  it('returns nulls for small or constant samples', () => {
    expect(spearman([], [])).toEqual({ rho: null, n: 0, p_value: null });
    expect(spearman([4], [1])).toEqual({ rho: null, n: 1, p_value: null });
    expect(spearman([1, 1, 1], [1, 2, 3])).toEqual({ rho: null, n: 3, p_value: null });
    expect(spearman([1, 2], [3, 4])).toEqual({ rho: 1, n: 2, p_value: null });
  });
});

describe('logisticOddsRatio', () => {
  /** x = 1 / 0 exposure, y = 1 / 0 outcome, from the cells of a 2×2 table. */
  function table(a: number, b: number, c: number, d: number): { x: number[]; y: (0 | 1)[] } {
    const rows: [number, 0 | 1, number][] = [
      [1, 1, a],
      [1, 0, b],
      [0, 1, c],
      [0, 0, d],
    ];
    const x: number[] = [];
    const y: (0 | 1)[] = [];
    for (const [xv, yv, count] of rows) {
      for (let i = 0; i < count; i++) {
        x.push(xv);
        y.push(yv);
      }
    }
    return { x, y };
  }

  // With one binary feature the MLE odds ratio is the sample odds ratio ad/(bc) and the Wald SE of its
  // log is Woolf's √(1/a + 1/b + 1/c + 1/d); the intercept is the log odds log(c/d) at x = 0.
  it.each([
    [30, 20, 15, 45],
    [3, 2, 1, 5],
    [12, 88, 40, 160],
    [1, 1, 1, 1],
  ])('reproduces the 2×2 table a=%i b=%i c=%i d=%i', (a, b, c, d) => {
    const { x, y } = table(a, b, c, d);
    const r = logisticOddsRatio(x, y);
    const logOr = Math.log((a * d) / (b * c));
    const se = Math.sqrt(1 / a + 1 / b + 1 / c + 1 / d);
    expect(r.converged).toBe(true);
    expect(r.n).toBe(a + b + c + d);
    near(r.odds_ratio, (a * d) / (b * c), 1e-9);
    near(r.coef, logOr, 1e-9);
    near(r.intercept, Math.log(c / d), 1e-9);
    near(r.se, se, 1e-9);
    near(r.ci_low, Math.exp(logOr - Z975 * se));
    near(r.ci_high, Math.exp(logOr + Z975 * se));
    near(r.p_value, jStat.ztest(logOr / se, 2));
  });

  it('solves the score equations for a continuous x, with SE from the observed information', () => {
    const x = [0.5, 1.2, 1.9, 2.3, 2.8, 3.1, 3.6, 4.0, 4.4, 5.2, 5.9, 6.3, 7.1, 7.7, 8.4];
    const y: (0 | 1)[] = [0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1];
    const r = logisticOddsRatio(x, y);
    expect(r.converged).toBe(true);
    const p = x.map((xi) => 1 / (1 + Math.exp(-((r.intercept as number) + (r.coef as number) * xi))));
    let g0 = 0;
    let g1 = 0;
    let i00 = 0;
    let i01 = 0;
    let i11 = 0;
    p.forEach((pi, i) => {
      const xi = x[i]!;
      g0 += y[i]! - pi;
      g1 += (y[i]! - pi) * xi;
      i00 += pi * (1 - pi);
      i01 += pi * (1 - pi) * xi;
      i11 += pi * (1 - pi) * xi * xi;
    });
    near(g0, 0, 1e-9);
    near(g1, 0, 1e-9);
    near(r.se, Math.sqrt(i00 / (i00 * i11 - i01 * i01)), 1e-9);
    near(r.odds_ratio, Math.exp(r.coef as number), 1e-12);
    // Per unit of x: the same data in another unit scales the coefficient, not the test.
    const inMinutes = logisticOddsRatio(
      x.map((v) => v * 60),
      y,
    );
    near(inMinutes.coef, (r.coef as number) / 60, 1e-9);
    near(inMinutes.p_value, r.p_value as number, 1e-9);
  });

  it('returns nulls with converged = false when there is no finite estimate', () => {
    const failed = {
      odds_ratio: null,
      coef: null,
      intercept: null,
      se: null,
      ci_low: null,
      ci_high: null,
      p_value: null,
      converged: false,
    };
    expect(logisticOddsRatio([], [])).toEqual({ ...failed, n: 0 });
    expect(logisticOddsRatio([1], [1])).toEqual({ ...failed, n: 1 });
    expect(logisticOddsRatio([1, 2, 3], [1, 1, 1])).toEqual({ ...failed, n: 3 }); // y constant
    expect(logisticOddsRatio([2, 2, 2, 2], [0, 1, 0, 1])).toEqual({ ...failed, n: 4 }); // x constant
    expect(logisticOddsRatio([1, 2, 3, 4], [0, 0, 1, 1])).toEqual({ ...failed, n: 4 }); // complete separation
    expect(logisticOddsRatio([1, 2, 2, 3], [0, 0, 1, 1])).toEqual({ ...failed, n: 4 }); // quasi-complete
    const emptyCell = table(5, 0, 3, 4);
    expect(logisticOddsRatio(emptyCell.x, emptyCell.y)).toEqual({ ...failed, n: 12 });
    expectBadParameter(() => logisticOddsRatio([1, 2], [1]));
  });
});

describe('pChart', () => {
  // Montgomery, Introduction to Statistical Quality Control, orange-juice can example (30 samples of
  // 50): p̄ = 0.2313, UCL = 0.4102, LCL = 0.0524; samples 15 and 23 are out of control.
  const defects = [
    12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12,
  ];
  defects.push(7, 13, 9, 6);

  it("matches Montgomery's orange-juice example", () => {
    const chart = pChart(defects.map((x) => ({ x, n: 50 })));
    near(chart.center, 0.2313, 5e-5);
    near(chart.center, 347 / 1500, 1e-15);
    const sigma = Math.sqrt(((347 / 1500) * (1 - 347 / 1500)) / 50);
    chart.points.forEach((pt, i) => {
      near(pt.p, defects[i]! / 50, 1e-15);
      near(pt.lcl, 0.0524, 5e-5);
      near(pt.ucl, 0.4102, 5e-5);
      near(pt.lcl, 347 / 1500 - 3 * sigma, 1e-12);
      near(pt.ucl, 347 / 1500 + 3 * sigma, 1e-12);
    });
    expect(chart.points.flatMap((pt, i) => (pt.out ? [i + 1] : []))).toEqual([15, 23]);
  });

  it('uses per-subgroup limits, clamps them to [0, 1] and skips empty subgroups', () => {
    const chart = pChart([
      { x: 2, n: 4 },
      { x: 0, n: 0 },
      { x: 30, n: 100 },
      { x: 1, n: 1 },
    ]);
    near(chart.center, 33 / 105, 1e-15);
    const c = 33 / 105;
    // n = 4: c ± 3·√(c(1 − c)/4) = −0.382 … 1.011, clamped to 0 … 1.
    expect(c + 3 * Math.sqrt((c * (1 - c)) / 4)).toBeGreaterThan(1);
    expect(chart.points[0]).toEqual({ p: 0.5, lcl: 0, ucl: 1, out: false });
    expect(chart.points[1]).toEqual({ p: null, lcl: null, ucl: null, out: false });
    near(chart.points[2]!.lcl, c - 3 * Math.sqrt((c * (1 - c)) / 100), 1e-12);
    near(chart.points[2]!.ucl, c + 3 * Math.sqrt((c * (1 - c)) / 100), 1e-12);
    expect(chart.points[3]).toEqual({ p: 1, lcl: 0, ucl: 1, out: false });
    expect(pChart([])).toEqual({ center: null, points: [] });
    expect(pChart([{ x: 0, n: 0 }])).toEqual({
      center: null,
      points: [{ p: null, lcl: null, ucl: null, out: false }],
    });
    expect(pChart([{ x: 0, n: 10 }]).points[0]).toEqual({ p: 0, lcl: 0, ucl: 0, out: false });
    expectBadParameter(() => pChart([{ x: 3, n: 2 }]));
  });
});

describe('individualsChart', () => {
  it('puts the limits at centre ± 2.66·MR̄ (hand-worked and jStat)', () => {
    // Moving ranges 1, 1, 1, 1, 1, 9 → MR̄ = 14/6; centre 83/7; UCL ≈ 18.064, so 20 is out.
    const values = [10, 11, 10, 11, 10, 11, 20];
    const chart = individualsChart(values);
    const mrBar = jStat.mean(jStat.diff(values).map(Math.abs));
    near(mrBar, 14 / 6, 1e-12);
    near(chart.center, jStat.mean(values), 1e-12);
    near(chart.center, 83 / 7, 1e-12);
    near(chart.mr_bar, mrBar, 1e-12);
    near(chart.lcl, 83 / 7 - 2.66 * (14 / 6), 1e-12);
    near(chart.ucl, 83 / 7 + 2.66 * (14 / 6), 1e-12);
    expect(chart.out).toEqual([false, false, false, false, false, false, true]);
  });

  it('returns nulls for fewer than two values', () => {
    expect(individualsChart([])).toEqual({ center: null, mr_bar: null, lcl: null, ucl: null, out: [] });
    expect(individualsChart([5])).toEqual({ center: 5, mr_bar: null, lcl: null, ucl: null, out: [false] });
    expect(individualsChart([5, 5, 5])).toEqual({
      center: 5,
      mr_bar: 0,
      lcl: 5,
      ucl: 5,
      out: [false, false, false],
    });
    expectBadParameter(() => individualsChart([1, NaN]));
  });
});

describe('no NaN or Infinity on degenerate input', () => {
  it('every function returns finite numbers or nulls', () => {
    const results: unknown[] = [
      wilson(0, 0),
      wilson(0, 1),
      wilson(1, 1),
      npsInterval(0, 0, 0),
      npsInterval(1, 0, 1),
      npsInterval(0, 1, 1),
      meanInterval(0, 0, 1),
      meanInterval(2, 0, 2),
      twoProportionZTest(0, 1, 0, 1),
      twoProportionZTest(1, 1, 1, 1),
      twoProportionZTest(0, 1, 1, 1),
      welchTTest({ mean: 1, sd: 0, n: 2 }, { mean: 1, sd: 0, n: 2 }),
      welchTTest({ mean: 1, sd: 1, n: 2 }, { mean: 1, sd: 0, n: 2 }),
      npsDifference({ promoters: 1, detractors: 0, n: 1 }, { promoters: 1, detractors: 0, n: 1 }),
      npsDifference({ promoters: 0, detractors: 0, n: 1 }, { promoters: 0, detractors: 1, n: 1 }),
      pearson([1, 1], [1, 1]),
      pearson([1, 2, 3, 4], [-1, -2, -3, -4]),
      spearman([1, 2, 3, 4], [4, 3, 2, 1]),
      spearman([1, 1, 2, 2], [2, 2, 1, 1]),
      logisticOddsRatio([0, 0, 1, 1], [0, 1, 0, 1]),
      logisticOddsRatio([1e6, 2e6, 3e6, 2.5e6], [0, 1, 0, 1]),
      pChart([{ x: 0, n: 5 }]),
      individualsChart([1, 1]),
    ];
    results.forEach(expectNoNaN);
    expect(pearson([1, 2, 3, 4], [-1, -2, -3, -4])).toMatchObject({
      r: -1,
      p_value: 0,
      ci_low: -1,
      ci_high: -1,
    });
    expect(twoProportionZTest(0, 1, 1, 1)).toMatchObject({ diff: 1, ci_low: 1, ci_high: 1 });
  });
});
