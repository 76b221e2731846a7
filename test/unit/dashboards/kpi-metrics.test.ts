import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { KpiMetrics } from '../../../dashboards/kpi-metrics.ts';
import { kpiSeries, type KpiSample } from '../../../dashboards/kpi-samples.ts';

/**
 * The cache behind the KPI gauges: values computed at most once per `maxAgeMs` on scrape, a scrape
 * never waits longer than `timeoutMs` (it serves the last values), a failed computation keeps them.
 */

const sample = (value: number): KpiSample => ({
  metric: 'csat',
  period: 'today',
  value,
  n: 40,
  target: { kind: 'absolute', value: 90 },
  status: value >= 90 ? 'met' : 'missed',
});

/** `cxpulse_kpi_value{metric="csat",period="today"}` as served, or undefined. */
async function served(reg: Registry): Promise<string | undefined> {
  const text = await reg.metrics();
  return /^cxpulse_kpi_value\{metric="csat",period="today"\} (\S+)$/m.exec(text)?.[1];
}

describe('KpiMetrics', () => {
  it('computes on the first scrape, then serves the cache until it is older than maxAgeMs', async () => {
    const reg = new Registry();
    let t = 1_000_000;
    let calls = 0;
    new KpiMetrics({
      registry: reg,
      compute: () => Promise.resolve([sample(80 + ++calls)]),
      now: () => t,
    });
    expect(await served(reg)).toBe('81');
    t += 59_000;
    expect(await served(reg)).toBe('81');
    expect(calls).toBe(1);
    t += 2_000;
    expect(await served(reg)).toBe('82');
    expect(calls).toBe(2);
  });

  it('refresh() recomputes at once, and a scrape during a computation joins it', async () => {
    const reg = new Registry();
    let calls = 0;
    const k = new KpiMetrics({ registry: reg, compute: () => Promise.resolve([sample(90 + ++calls)]) });
    await k.refresh();
    expect(await served(reg)).toBe('91');
    const p = k.refresh();
    expect(await served(reg)).toBe('92');
    await p;
    expect(calls).toBe(2);
  });

  it('a scrape waits at most timeoutMs for a slow computation and serves the last values', async () => {
    const reg = new Registry();
    let release: () => void = () => undefined;
    let slow = false;
    const k = new KpiMetrics({
      registry: reg,
      timeoutMs: 200,
      compute: () =>
        slow
          ? new Promise<KpiSample[]>((r) => (release = () => r([sample(70)])))
          : Promise.resolve([sample(95)]),
    });
    await k.refresh();
    slow = true;
    void k.refresh();
    const start = Date.now();
    expect(await served(reg)).toBe('95');
    expect(Date.now() - start).toBeLessThan(1_000);
    release();
    await k.idle();
    expect(await served(reg)).toBe('70');
  });

  it('a failed computation keeps the last values', async () => {
    const reg = new Registry();
    let fail = false;
    const k = new KpiMetrics({
      registry: reg,
      compute: () => (fail ? Promise.reject(new Error('store down')) : Promise.resolve([sample(93)])),
    });
    await k.refresh();
    fail = true;
    await k.refresh();
    expect(await served(reg)).toBe('93');
  });
});

describe('kpiSeries', () => {
  it('one status series per status (1 for the current), the target once per KPI, no value without answers', () => {
    const s = kpiSeries([
      sample(85),
      { ...sample(0), period: '7d', value: null, n: 0, status: 'insufficient_data' },
    ]);
    const of = (name: string) => s.filter((x) => x.name === name);
    expect(of('cxpulse_kpi_value')).toEqual([
      { name: 'cxpulse_kpi_value', labels: { metric: 'csat', period: 'today' }, value: 85 },
    ]);
    expect(of('cxpulse_kpi_n').map((x) => x.value)).toEqual([40, 0]);
    expect(of('cxpulse_kpi_target')).toEqual([
      { name: 'cxpulse_kpi_target', labels: { metric: 'csat', kind: 'absolute' }, value: 90 },
    ]);
    const ones = of('cxpulse_kpi_status').filter((x) => x.value === 1);
    expect(ones.map((x) => [x.labels['period'], x.labels['status']])).toEqual([
      ['today', 'missed'],
      ['7d', 'insufficient_data'],
    ]);
    expect(of('cxpulse_kpi_status')).toHaveLength(8);
  });
});
