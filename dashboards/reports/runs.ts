import { clickHouseTime } from '../../infra/time.ts';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { logger } from '../../infra/logger.ts';
import { withRetry } from '../../infra/retry.ts';
import type { ReportDefinition } from './definitions.ts';
import type { Channel } from './deliver.ts';
import { periodFor } from './period.ts';

/**
 * The run history (report_runs): every state of a run — running, retrying, succeeded, failed — is a
 * row, so nothing fails silently; the latest row of a run is its state. Runs that can no longer finish
 * are recorded as failed.
 */

export type Trigger = 'schedule' | 'late' | 'manual';
export type RunStatus = 'running' | 'retrying' | 'succeeded' | 'failed';

export interface RunRecord {
  run_key: string;
  report: string;
  slot: string;
  trigger: Trigger;
  owner: string;
  period_from: string;
  period_to: string;
  status: RunStatus;
  attempt: number;
  started_at: string;
  duration_ms: number;
  recipients: string[];
  /** per channel: `delivered` or the last error */
  deliveries: Partial<Record<Channel, string>>;
  error: string;
  /** when the latest state was recorded (history only) */
  updated_at?: string;
}

const log = logger('reports');

/** Writes of a run's state: about a minute of retries. */
const RECORD_RETRY = { maxRetries: 6, initialMs: 500, maxMs: 15_000 };

/** ClickHouse DateTime64 text for an instant (UTC). */

/** An instant from ClickHouse DateTime64 text (UTC). */
export const isoOf = (v: unknown) => `${String(v).replace(' ', 'T')}Z`;

export class RunHistory {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly cfg: Config,
  ) {}

  private get db(): string {
    return this.cfg.clickhouse.database;
  }

  /** Write a run's state; retried, so a blip of the store does not leave a delivered run "running". */
  async record(r: RunRecord): Promise<void> {
    const row = {
      ...r,
      slot: clickHouseTime(new Date(r.slot)),
      started_at: clickHouseTime(new Date(r.started_at)),
      deliveries: JSON.stringify(r.deliveries),
    };
    await withRetry(
      `recording report run ${r.run_key}`,
      () => this.client.insert({ table: `${this.db}.report_runs`, values: [row], format: 'JSONEachRow' }),
      RECORD_RETRY,
      { isRetriable: () => true },
    );
  }

  /** The latest state of each run, newest slot first. */
  async history(opts: { report?: string; runKey?: string; limit?: number } = {}): Promise<RunRecord[]> {
    const rs = await this.client.query({
      query: `SELECT run_key, any(report) AS report, toString(any(slot)) AS slot,
                     argMax(trigger, recorded_at) AS trigger, argMax(owner, recorded_at) AS owner,
                     toString(any(period_from)) AS period_from, toString(any(period_to)) AS period_to,
                     argMax(status, recorded_at) AS status, argMax(attempt, recorded_at) AS attempt,
                     toString(any(started_at)) AS started_at, argMax(duration_ms, recorded_at) AS duration_ms,
                     argMax(recipients, recorded_at) AS recipients, argMax(deliveries, recorded_at) AS deliveries,
                     argMax(error, recorded_at) AS error, toString(max(recorded_at)) AS updated_at
              FROM (SELECT * FROM ${this.db}.report_runs
                    WHERE ({report:String} = '' OR report = {report:String})
                      AND ({key:String} = '' OR run_key = {key:String}))
              GROUP BY run_key
              ORDER BY slot DESC, run_key
              LIMIT {limit:UInt32}`,
      query_params: { report: opts.report ?? '', key: opts.runKey ?? '', limit: opts.limit ?? 200 },
      format: 'JSONEachRow',
    });
    return (await rs.json<Record<string, unknown>>()).map((r) => ({
      ...(r as unknown as RunRecord),
      slot: isoOf(r['slot']),
      started_at: isoOf(r['started_at']),
      updated_at: isoOf(r['updated_at']),
      attempt: Number(r['attempt']),
      duration_ms: Number(r['duration_ms']),
      deliveries: JSON.parse(String(r['deliveries'] || '{}')) as RunRecord['deliveries'],
    }));
  }

  /**
   * Runs that can no longer finish, recorded as failed so the history never shows one in progress for
   * ever: runs whose latest state (running, retrying) is older than `staleMs` — the scheduler running
   * them stopped — and slots claimed more than `staleMs` ago whose winner never recorded a start.
   */
  async recoverAbandoned(
    definitions: readonly ReportDefinition[],
    staleMs: number,
    now = new Date(),
  ): Promise<RunRecord[]> {
    const cut = now.getTime() - staleMs;
    const out: RunRecord[] = [];
    for (const r of await this.history({ limit: 1000 })) {
      if ((r.status !== 'running' && r.status !== 'retrying') || Date.parse(r.updated_at ?? '') >= cut)
        continue;
      out.push({
        ...r,
        status: 'failed',
        error: `abandoned: ${r.owner} stopped while the run was ${r.status}${r.error ? ` (${r.error})` : ''}; run it again with cxpulse report ${r.report} --period ${r.period_from}..${r.period_to}`,
      });
    }
    const rs = await this.client.query({
      query: `SELECT run_key, any(report) AS report, toString(any(slot)) AS slot,
                     argMin(owner, (claimed_at, owner)) AS winner
              FROM ${this.db}.report_claims
              WHERE run_key NOT IN (SELECT run_key FROM ${this.db}.report_runs)
              GROUP BY run_key
              HAVING min(claimed_at) < fromUnixTimestamp64Milli({cut:Int64})`,
      query_params: { cut },
      format: 'JSONEachRow',
    });
    for (const c of await rs.json<{ run_key: string; report: string; slot: string; winner: string }>()) {
      const slot = new Date(isoOf(c.slot));
      const def = definitions.find((d) => d.name === c.report);
      const period = def
        ? periodFor(def.period, slot, [def.schedule.timezone, this.cfg.timeZone])
        : { from: '1970-01-01', to: '1970-01-01' };
      out.push({
        run_key: c.run_key,
        report: c.report,
        slot: slot.toISOString(),
        trigger: 'schedule',
        owner: c.winner,
        period_from: period.from,
        period_to: period.to,
        status: 'failed',
        attempt: 0,
        started_at: slot.toISOString(),
        duration_ms: 0,
        recipients: [],
        deliveries: {},
        error: `abandoned: ${c.winner} claimed the slot but stopped before running it; run it again with cxpulse report ${c.report} --period ${period.from}..${period.to}`,
      });
    }
    for (const r of out) {
      const { updated_at: _, ...record } = r;
      await this.record(record);
      log.error({ event_name: 'report_abandoned', run_key: r.run_key, err: r.error }, 'report run abandoned');
    }
    return out;
  }
}
