import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CronExpressionParser } from 'cron-parser';
import cron, { type ScheduledTask } from 'node-cron';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { CxError, errorMessage, isCxError } from '../../infra/errors.ts';
import { logger } from '../../infra/logger.ts';
import { backoffDelay, withRetry } from '../../infra/retry.ts';
import { clickHouseTime } from '../../infra/time.ts';
import { gatherReport, type ReportData } from './content.ts';
import type { ReportDefinition } from './definitions.ts';
import { postWebhook, sendEmail, writeFiles, type Channel, type Delivery } from './deliver.ts';
import { periodFor, type Period } from './period.ts';
import { renderReport, type RenderedReport } from './render.ts';

/**
 * Runs reports: on their schedules (node-cron), late for a slot missed while no scheduler ran, or now
 * on request. Every slot runs once across restarts and across any number of schedulers sharing the
 * store: the slot's run key (`report@slot`) is claimed in ClickHouse (report_claims), the scheduler
 * waits `REPORT_CLAIM_SETTLE_MS` for concurrent claims to become visible, and only the earliest claim
 * (server time, then owner) runs. A slot that already has a claim is never claimed again.
 *
 * A run's deliveries are retried with exponential backoff, each channel on its own (a channel that has
 * delivered is not delivered again); every state — running, retrying, succeeded, failed — is a row in
 * report_runs, so nothing fails silently.
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

export const runKeyOf = (report: string, slot: Date) => `${report}@${slot.toISOString()}`;

export class ReportRunner {
  /** Aborts the waits between retries when the process stops. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly cfg: Config,
    readonly owner: string = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
  ) {}

  private get db(): string {
    return this.cfg.clickhouse.database;
  }

  /** Run a report now for `period` (a manual run; the key is unique, so it never collides with a slot). */
  async runNow(def: ReportDefinition, period: Period): Promise<RunRecord> {
    return (await this.startNow(def, period)).done;
  }

  /** Start a manual run; resolves once it is recorded as running, with the run's completion. */
  async startNow(
    def: ReportDefinition,
    period: Period,
  ): Promise<{ runKey: string; done: Promise<RunRecord> }> {
    const at = new Date();
    const runKey = `${def.name}@manual-${at.toISOString()}-${randomUUID().slice(0, 8)}`;
    let started = () => {};
    const recorded = new Promise<void>((resolve) => (started = resolve));
    const done = this.execute(
      def,
      { runKey, slot: at, trigger: 'manual', period: { from: period.from, to: period.to } },
      started,
    );
    await Promise.race([recorded, done]);
    return { runKey, done };
  }

  private readonly running = new Set<Promise<unknown>>();

  /** Stop waiting to retry: runs in their backoff are recorded as failed now. */
  stop(): void {
    this.stopping.abort();
  }

  /** Resolves when every run of this runner (scheduled or manual) has finished. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /** Claim a slot; true when this runner won it. See the class comment for the protocol. */
  async claim(def: ReportDefinition, slot: Date): Promise<boolean> {
    const runKey = runKeyOf(def.name, slot);
    if ((await this.claims(runKey)).length > 0) return false;
    await this.client.insert({
      table: `${this.db}.report_claims`,
      values: [{ run_key: runKey, report: def.name, slot: clickHouseTime(slot), owner: this.owner }],
      format: 'JSONEachRow',
      // visible to the other schedulers when the insert returns, whatever the server's profile says
      clickhouse_settings: { async_insert: 0 },
    });
    if (this.cfg.reports.claimSettleMs > 0) await sleep(this.cfg.reports.claimSettleMs);
    const [first] = await this.claims(runKey);
    return first?.owner === this.owner;
  }

  private async claims(runKey: string): Promise<{ owner: string }[]> {
    const rs = await this.client.query({
      query: `SELECT owner FROM ${this.db}.report_claims WHERE run_key = {k:String}
              ORDER BY claimed_at, owner`,
      query_params: { k: runKey },
      format: 'JSONEachRow',
    });
    return rs.json<{ owner: string }>();
  }

  /** Claim the slot and, when won, run it. Returns null when another scheduler has it. */
  async runSlot(def: ReportDefinition, slot: Date, trigger: Trigger): Promise<RunRecord | null> {
    if (!(await this.claim(def, slot))) return null;
    const period = periodFor(def.period, slot, [def.schedule.timezone, this.cfg.timeZone]);
    return this.execute(def, { runKey: runKeyOf(def.name, slot), slot, trigger, period });
  }

  private async execute(
    def: ReportDefinition,
    run: { runKey: string; slot: Date; trigger: Trigger; period: Period },
    onRecorded: () => void = () => {},
  ): Promise<RunRecord> {
    const p = this.run(def, run, onRecorded);
    this.running.add(p);
    return p.finally(() => this.running.delete(p));
  }

  private async run(
    def: ReportDefinition,
    run: { runKey: string; slot: Date; trigger: Trigger; period: Period },
    onRecorded: () => void,
  ): Promise<RunRecord> {
    const started = Date.now();
    const record: RunRecord = {
      run_key: run.runKey,
      report: def.name,
      slot: run.slot.toISOString(),
      trigger: run.trigger,
      owner: this.owner,
      period_from: run.period.from,
      period_to: run.period.to,
      status: 'running',
      attempt: 1,
      started_at: new Date(started).toISOString(),
      duration_ms: 0,
      recipients: [],
      deliveries: {},
      error: '',
    };
    await this.record(record);
    onRecorded();
    log.info(
      { event_name: 'report_started', run_key: run.runKey, trigger: run.trigger, ...run.period },
      'report run started',
    );
    const channels: Channel[] = [
      ...(def.email ? (['email'] as const) : []),
      ...(def.webhook ? (['webhook'] as const) : []),
      ...(def.directory ? (['directory'] as const) : []),
    ];
    const pending = new Set<Channel>(channels);
    const policy = this.cfg.reports.retry;
    let prepared: { data: ReportData; rendered: RenderedReport } | undefined;
    // a channel refused for good (a host not allowed, a 5xx) is not tried again; the run fails with it
    const refused: { channel: Channel; err: unknown }[] = [];
    for (let attempt = 1; ; attempt++) {
      record.attempt = attempt;
      const errors: { channel: Channel | 'render'; err: unknown }[] = [];
      try {
        if (!prepared) {
          const data = await gatherReport(this.client, this.cfg, def, run.period);
          prepared = { data, rendered: await renderReport(data, { pdf: def.formats.includes('pdf') }) };
        }
        const delivery: Delivery = {
          runKey: run.runKey,
          slot: run.slot,
          trigger: run.trigger,
          def,
          ...prepared,
        };
        for (const channel of [...pending]) {
          try {
            const to = await this.deliver(channel, delivery);
            record.recipients.push(...to);
            record.deliveries[channel] = 'delivered';
            pending.delete(channel);
          } catch (err) {
            record.deliveries[channel] = errorMessage(err);
            const delivered = isCxError(err)
              ? (err.details as { delivered?: string[] } | undefined)?.delivered
              : undefined;
            if (delivered) record.recipients.push(...delivered);
            if (isCxError(err) && !err.retriable) {
              pending.delete(channel);
              refused.push({ channel, err });
            } else errors.push({ channel, err });
          }
        }
      } catch (err) {
        errors.push({ channel: 'render', err });
      }
      record.duration_ms = Date.now() - started;
      const problems = [...refused, ...errors];
      record.error = problems.map((e) => `${e.channel}: ${errorMessage(e.err)}`).join('; ');
      if (problems.length === 0) {
        record.status = 'succeeded';
        await this.record(record);
        log.info(
          {
            event_name: 'report_succeeded',
            run_key: run.runKey,
            attempts: attempt,
            duration_ms: record.duration_ms,
          },
          'report delivered',
        );
        return record;
      }
      if (errors.length === 0 || attempt > policy.maxRetries) {
        record.status = 'failed';
        await this.record(record);
        log.error(
          { event_name: 'report_failed', run_key: run.runKey, attempts: attempt, err: record.error },
          'report failed',
        );
        return record;
      }
      record.status = 'retrying';
      await this.record(record);
      const delay = Math.round(backoffDelay(policy, attempt) * (0.8 + Math.random() * 0.4));
      log.warn(
        { event_name: 'report_retrying', run_key: run.runKey, attempt, delay_ms: delay, err: record.error },
        'report delivery failed; retrying',
      );
      try {
        await sleep(delay, undefined, { signal: this.stopping.signal });
      } catch {
        record.status = 'failed';
        record.error = `stopped before delivery succeeded (${record.error}); run it again with cxpulse report ${def.name} --period ${run.period.from}..${run.period.to}`;
        record.duration_ms = Date.now() - started;
        await this.record(record);
        return record;
      }
    }
  }

  private deliver(channel: Channel, d: Delivery): Promise<string[]> {
    switch (channel) {
      case 'email':
        return sendEmail(this.cfg.reports.smtp, d);
      case 'webhook':
        return postWebhook(this.cfg.reports.webhook, d);
      case 'directory':
        return writeFiles(path.dirname(this.cfg.reports.file), d);
    }
  }

  /** Write a run's state; retried, so a blip of the store does not leave a delivered run "running". */
  private async record(r: RunRecord): Promise<void> {
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

  /** When each report's schedule was first seen (registered now when it is new). */
  async register(def: ReportDefinition, now: Date): Promise<Date> {
    const key = `${def.schedule.cron} ${def.schedule.timezone}`;
    const read = async () => {
      const rs = await this.client.query({
        query: `SELECT toString(min(first_seen)) AS t, count() AS n FROM ${this.db}.report_schedules
                WHERE report = {r:String} AND schedule = {s:String}`,
        query_params: { r: def.name, s: key },
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ t: string; n: string }>();
      return row && Number(row.n) > 0 ? new Date(isoOf(row.t)) : null;
    };
    const seen = await read();
    if (seen) return seen;
    await this.client.insert({
      table: `${this.db}.report_schedules`,
      values: [{ report: def.name, schedule: key, first_seen: clickHouseTime(now) }],
      format: 'JSONEachRow',
    });
    return (await read()) ?? now;
  }

  /** Whether anyone has claimed this slot. */
  async claimed(def: ReportDefinition, slot: Date): Promise<boolean> {
    return (await this.claims(runKeyOf(def.name, slot))).length > 0;
  }
}

const isoOf = (v: unknown) => `${String(v).replace(' ', 'T')}Z`;

/** The latest slot of a schedule at or before `at`. */
export function lastSlot(def: ReportDefinition, at: Date): Date {
  return CronExpressionParser.parse(def.schedule.cron, {
    currentDate: new Date(at.getTime() + 1),
    tz: def.schedule.timezone,
  })
    .prev()
    .toDate();
}

export function nextSlot(def: ReportDefinition, at: Date): Date {
  return CronExpressionParser.parse(def.schedule.cron, { currentDate: at, tz: def.schedule.timezone })
    .next()
    .toDate();
}

const SWEEP_EVERY_MS = 60_000;
/** A slot younger than this is left to its node-cron tick. */
const SWEEP_GRACE_MS = 30_000;

/** How long past the longest retry wait a run may stay silent before it counts as abandoned. */
const ABANDONED_AFTER_MS = 30 * 60_000;

/** The schedules: one node-cron task per report; catches up a missed slot at start. */
export class ReportScheduler {
  private tasks: ScheduledTask[] = [];
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly firstSeen = new Map<string, Date>();
  private sweep?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    readonly runner: ReportRunner,
    private readonly cfg: Config,
    readonly definitions: readonly ReportDefinition[],
  ) {}

  async start(): Promise<void> {
    const now = new Date();
    // a live run records a state at least every retry wait; one silent for much longer has lost its scheduler
    await this.runner.recoverAbandoned(
      this.definitions,
      this.cfg.reports.retry.maxMs + ABANDONED_AFTER_MS,
      now,
    );
    for (const def of this.definitions) {
      this.firstSeen.set(def.name, await this.runner.register(def, now));
      const task = cron.schedule(def.schedule.cron, (ctx) => this.fire(def, ctx.date, 'schedule'), {
        name: `report:${def.name}`,
        timezone: def.schedule.timezone,
      });
      // node-cron skips a tick it could not fire within its second (an event loop blocked over it)
      // (one event per skipped slot: only the latest is run, within the catch-up limits)
      task.on('execution:missed', () => void this.catchUpLogged(def, 0));
      this.tasks.push(task);
      await this.catchUp(def, now, 0);
    }
    // and should a missed tick go unreported (a suspended process), a sweep every minute runs the slot late
    this.sweep = setInterval(() => {
      for (const def of this.definitions) void this.catchUpLogged(def, SWEEP_GRACE_MS);
      this.runner
        .recoverAbandoned(this.definitions, this.cfg.reports.retry.maxMs + ABANDONED_AFTER_MS)
        .catch((err: unknown) =>
          log.error(
            { event_name: 'report_recovery_failed', err: errorMessage(err) },
            'abandoned-run check failed',
          ),
        );
    }, SWEEP_EVERY_MS);
    this.sweep.unref();
    log.info(
      {
        event_name: 'scheduler_started',
        reports: this.definitions.map((d) => d.name),
        owner: this.runner.owner,
      },
      'report scheduler started',
    );
  }

  /**
   * Run the latest slot late when nobody claimed it: it is at least `graceMs` old (younger ones are
   * node-cron's), no older than REPORT_CATCHUP_HOURS, and not from before the report was first scheduled.
   */
  private async catchUp(def: ReportDefinition, now: Date, graceMs: number): Promise<void> {
    const slot = lastSlot(def, now);
    const firstSeen = this.firstSeen.get(def.name) ?? now;
    const age = now.getTime() - slot.getTime();
    if (this.stopped || slot < firstSeen || age < graceMs || age > this.cfg.reports.catchupHours * 3_600_000)
      return;
    if (this.inFlight.has(runKeyOf(def.name, slot)) || (await this.runner.claimed(def, slot))) return;
    log.warn(
      { event_name: 'report_slot_missed', report: def.name, slot: slot.toISOString() },
      'running a missed slot late',
    );
    this.fire(def, slot, 'late');
  }

  private catchUpLogged(def: ReportDefinition, graceMs: number): Promise<void> {
    return this.catchUp(def, new Date(), graceMs).catch((err: unknown) =>
      log.error(
        { event_name: 'report_catch_up_failed', report: def.name, err: errorMessage(err) },
        'catch-up failed',
      ),
    );
  }

  /** Run a slot unless this process already has it in hand. Errors are logged, never thrown. */
  private fire(def: ReportDefinition, at: Date, trigger: Trigger): void {
    if (this.stopped) return;
    // node-cron fires within the matching second; the slot is the schedule's instant itself
    const slot = lastSlot(def, new Date(Math.floor(at.getTime() / 1000) * 1000));
    const key = runKeyOf(def.name, slot);
    if (this.inFlight.has(key)) return;
    const p = this.runner
      .runSlot(def, slot, trigger)
      .then((r) => {
        if (!r)
          log.info(
            { event_name: 'report_slot_taken', run_key: key, trigger },
            'slot already claimed by another scheduler',
          );
      })
      .catch((err: unknown) =>
        log.error(
          { event_name: 'report_slot_error', run_key: key, err: errorMessage(err) },
          'report slot could not run',
        ),
      )
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
  }

  /** Stop scheduling and wait for the runs in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweep);
    for (const t of this.tasks) await t.destroy();
    this.tasks = [];
    this.runner.stop();
    await Promise.allSettled([...this.inFlight.values()]);
  }
}

export function definitionNamed(defs: readonly ReportDefinition[], name: string): ReportDefinition {
  const def = defs.find((d) => d.name === name);
  if (!def)
    throw new CxError(
      'not_found',
      `no report named ${JSON.stringify(name)}; defined: ${defs.map((d) => d.name).join(', ') || 'none'}`,
    );
  return def;
}
