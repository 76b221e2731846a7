import { Gauge, type Registry } from 'prom-client';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Config } from '../infra/config.ts';
import { errorMessage } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';
import { today, windowEnding } from '../infra/time.ts';
import { computeOverview } from '../metrics/answer/overview.ts';
import { targetsInForce } from '../metrics/answer/targets-in-force.ts';
import {
  KPI_PERIODS,
  kpiSamples,
  kpiSeries,
  type KpiPeriod,
  type KpiSample,
  type KpiSeries,
} from './kpi-samples.ts';

/**
 * The overview KPIs on `GET /metrics` (`METRICS_KPIS=on`), so that an existing Prometheus and
 * Alertmanager can alert on them: `cxpulse_kpi_value`, `_target`, `_status`, `_n` (kpi-samples.ts) and
 * `cxpulse_kpi_computed_seconds`. The values are computed after each rollup refresh (`refresh`) and, on a
 * scrape, when they are older than `maxAgeMs`; a scrape waits for a computation at most `timeoutMs`, then
 * serves the last values. A failed computation is logged and the last values stay.
 */

/** The families and the labels of each: no team, agent or other open-ended label. */
const FAMILIES: Record<KpiSeries['name'], { help: string; labels: string[] }> = {
  cxpulse_kpi_value: {
    help: 'Value of an overview KPI over the period (today so far, or the last 7 days), as GET /api/v1/overview answers it.',
    labels: ['metric', 'period'],
  },
  cxpulse_kpi_target: {
    help: 'Headline target in force of an overview KPI: the bar (kind absolute) or the value its relative target requires from the baseline.',
    labels: ['metric', 'kind'],
  },
  cxpulse_kpi_status: {
    help: 'Status of an overview KPI against its target over the period: 1 for the current status, 0 for the others.',
    labels: ['metric', 'period', 'status'],
  },
  cxpulse_kpi_n: {
    help: 'Answers or interactions behind an overview KPI over the period.',
    labels: ['metric', 'period'],
  },
};

export interface KpiMetricsOptions {
  registry: Registry;
  /** The samples now (the overview of each period); `overviewSamples` in production. */
  compute: () => Promise<KpiSample[]>;
  /** A scrape recomputes values older than this. @default 60_000 */
  maxAgeMs?: number;
  /** The longest a scrape waits for a computation. @default 3_000 */
  timeoutMs?: number;
  now?: () => number;
}

export class KpiMetrics {
  private samples: KpiSample[] = [];
  private computedAt: number | null = null;
  private running: Promise<void> | null = null;
  /** what a scrape waits for: the computation in hand or its timeout, whichever is first */
  private waiting: Promise<void> = Promise.resolve();
  private readonly log = logger('kpi-metrics');
  private readonly now: () => number;

  constructor(private readonly opts: KpiMetricsOptions) {
    this.now = opts.now ?? Date.now;
    const reg = [opts.registry];
    for (const [name, f] of Object.entries(FAMILIES) as [
      KpiSeries['name'],
      (typeof FAMILIES)[KpiSeries['name']],
    ][]) {
      const g: Gauge<string> = new Gauge({
        name,
        help: f.help,
        labelNames: f.labels,
        registers: reg,
        collect: async () => {
          await this.ready();
          g.reset();
          for (const s of kpiSeries(this.samples)) if (s.name === name) g.set(s.labels, s.value);
        },
      });
    }
    const computed: Gauge = new Gauge({
      name: 'cxpulse_kpi_computed_seconds',
      help: 'Unix time at which the cxpulse_kpi_* values served were computed (absent before the first computation).',
      registers: reg,
      collect: async () => {
        await this.ready();
        computed.reset();
        if (this.computedAt !== null) computed.set(this.computedAt / 1000);
      },
    });
  }

  /** Compute the values now (one computation at a time: a call during one joins it). */
  refresh(): Promise<void> {
    if (this.running) return this.running;
    const started = this.now();
    const run = (async () => {
      try {
        this.samples = await this.opts.compute();
        this.computedAt = started;
      } catch (err) {
        this.log.error(
          { event_name: 'kpi_metrics_failed', err: errorMessage(err) },
          'KPI metrics not computed',
        );
      } finally {
        this.running = null;
      }
    })();
    this.running = run;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => {
      timer = setTimeout(r, this.opts.timeoutMs ?? 3_000);
      timer.unref();
    });
    this.waiting = Promise.race([run, timeout]).finally(() => clearTimeout(timer));
    return run;
  }

  /** Resolves once no computation is in hand. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Before a scrape: recompute stale values, and wait for the computation in hand up to the timeout. */
  private ready(): Promise<void> {
    const age = this.computedAt === null ? Infinity : this.now() - this.computedAt;
    if (!this.running && age > (this.opts.maxAgeMs ?? 60_000)) void this.refresh();
    return this.waiting;
  }
}

/** The samples of production: the overview of each period, judged by the targets in force. */
export function overviewSamples(client: ClickHouseClient, cfg: Config): () => Promise<KpiSample[]> {
  return async () => {
    const inForce = await targetsInForce(client, cfg);
    const day = today(cfg.timeZone);
    const out: KpiSample[] = [];
    for (const [period, days] of Object.entries(KPI_PERIODS) as [KpiPeriod, number][]) {
      const o = await computeOverview(client, cfg, { ...windowEnding(day, days), filters: {} }, inForce);
      out.push(...kpiSamples(o, period));
    }
    return out;
  };
}
