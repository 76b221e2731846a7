import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { errorMessage, isCxError } from '../../infra/errors.ts';
import { logger } from '../../infra/logger.ts';
import { backoffDelay } from '../../infra/retry.ts';
import { SlotClaims } from './claims.ts';
import { gatherReport, type ReportData } from './content.ts';
import type { ReportDefinition } from './definitions.ts';
import { postWebhook, sendEmail, writeFiles, type Channel, type Delivery } from './deliver.ts';
import { periodFor, type Period } from './period.ts';
import { renderReport, type RenderedReport } from './render.ts';
import { RunHistory, type RunRecord, type Trigger } from './runs.ts';
import { runKeyOf } from './slots.ts';

/**
 * Runs reports: a slot it has claimed (claims.ts), or now on request. A run's deliveries are retried
 * with exponential backoff, each channel on its own (a channel that has delivered is not delivered
 * again); every state — running, retrying, succeeded, failed — is recorded in the run history
 * (runs.ts), so nothing fails silently.
 */

const log = logger('reports');

/** A run in hand: its key, slot, trigger and period. */
interface Run {
  runKey: string;
  slot: Date;
  trigger: Trigger;
  period: Period;
}

/** What the attempts of one run carry over: the channels still to deliver, those refused, the report. */
interface Attempts {
  pending: Set<Channel>;
  // a channel refused for good (a host not allowed, a 5xx) is not tried again; the run fails with it
  refused: { channel: Channel; err: unknown }[];
  prepared?: { data: ReportData; rendered: RenderedReport };
}

type AttemptError = { channel: Channel | 'render'; err: unknown };

export class ReportRunner {
  /** Aborts the waits between retries when the process stops. */
  private readonly stopping = new AbortController();
  private readonly slots: SlotClaims;
  private readonly runs: RunHistory;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly cfg: Config,
    readonly owner: string = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
  ) {
    this.slots = new SlotClaims(client, cfg, owner);
    this.runs = new RunHistory(client, cfg);
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

  /** Claim a slot; true when this runner won it (see claims.ts for the protocol). */
  claim(def: ReportDefinition, slot: Date): Promise<boolean> {
    return this.slots.claim(def, slot);
  }

  /** Whether anyone has claimed this slot. */
  claimed(def: ReportDefinition, slot: Date): Promise<boolean> {
    return this.slots.claimed(def, slot);
  }

  /** When each report's schedule was first seen (registered now when it is new). */
  register(def: ReportDefinition, now: Date): Promise<Date> {
    return this.slots.register(def, now);
  }

  /** The latest state of each run, newest slot first. */
  history(opts: { report?: string; runKey?: string; limit?: number } = {}): Promise<RunRecord[]> {
    return this.runs.history(opts);
  }

  /** Runs that can no longer finish, recorded as failed (see runs.ts). */
  recoverAbandoned(
    definitions: readonly ReportDefinition[],
    staleMs: number,
    now = new Date(),
  ): Promise<RunRecord[]> {
    return this.runs.recoverAbandoned(definitions, staleMs, now);
  }

  /** Claim the slot and, when won, run it. Returns null when another scheduler has it. */
  async runSlot(def: ReportDefinition, slot: Date, trigger: Trigger): Promise<RunRecord | null> {
    if (!(await this.claim(def, slot))) return null;
    const period = periodFor(def.period, slot, [def.schedule.timezone, this.cfg.timeZone]);
    return this.execute(def, { runKey: runKeyOf(def.name, slot), slot, trigger, period });
  }

  private async execute(
    def: ReportDefinition,
    run: Run,
    onRecorded: () => void = () => {},
  ): Promise<RunRecord> {
    const p = this.run(def, run, onRecorded);
    this.running.add(p);
    return p.finally(() => this.running.delete(p));
  }

  /** Record the run as running, then attempt its deliveries until they succeed, fail for good or stop. */
  private async run(def: ReportDefinition, run: Run, onRecorded: () => void): Promise<RunRecord> {
    const started = Date.now();
    const record = this.startRecord(def, run, started);
    await this.runs.record(record);
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
    const attempts: Attempts = { pending: new Set<Channel>(channels), refused: [] };
    const policy = this.cfg.reports.retry;
    for (let attempt = 1; ; attempt++) {
      record.attempt = attempt;
      const errors = await this.attempt(def, run, record, attempts);
      record.duration_ms = Date.now() - started;
      const problems = [...attempts.refused, ...errors];
      record.error = problems.map((e) => `${e.channel}: ${errorMessage(e.err)}`).join('; ');
      if (problems.length === 0) return this.succeeded(record, attempt);
      if (errors.length === 0 || attempt > policy.maxRetries) return this.failed(record, attempt);
      record.status = 'retrying';
      await this.runs.record(record);
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
        await this.runs.record(record);
        return record;
      }
    }
  }

  /** A run's first state: running, attempt 1, nothing delivered yet. */
  private startRecord(def: ReportDefinition, run: Run, started: number): RunRecord {
    return {
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
  }

  /**
   * One attempt: gather and render the report (once), then deliver it to each channel still pending.
   * Returns the errors worth retrying; channels refused for good go to `attempts.refused`.
   */
  private async attempt(
    def: ReportDefinition,
    run: Run,
    record: RunRecord,
    attempts: Attempts,
  ): Promise<AttemptError[]> {
    const errors: AttemptError[] = [];
    const { pending, refused } = attempts;
    try {
      if (!attempts.prepared) {
        const data = await gatherReport(this.client, this.cfg, def, run.period);
        attempts.prepared = {
          data,
          rendered: await renderReport(data, { pdf: def.formats.includes('pdf') }),
        };
      }
      const delivery: Delivery = {
        runKey: run.runKey,
        slot: run.slot,
        trigger: run.trigger,
        def,
        ...attempts.prepared,
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
    return errors;
  }

  private async succeeded(record: RunRecord, attempt: number): Promise<RunRecord> {
    record.status = 'succeeded';
    await this.runs.record(record);
    log.info(
      {
        event_name: 'report_succeeded',
        run_key: record.run_key,
        attempts: attempt,
        duration_ms: record.duration_ms,
      },
      'report delivered',
    );
    return record;
  }

  private async failed(record: RunRecord, attempt: number): Promise<RunRecord> {
    record.status = 'failed';
    await this.runs.record(record);
    log.error(
      { event_name: 'report_failed', run_key: record.run_key, attempts: attempt, err: record.error },
      'report failed',
    );
    return record;
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
}
