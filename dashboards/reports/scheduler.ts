import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../../infra/config.ts';
import { CxError, errorMessage } from '../../infra/errors.ts';
import { logger } from '../../infra/logger.ts';
import type { ReportDefinition } from './definitions.ts';
import type { ReportRunner } from './runner.ts';
import type { Trigger } from './runs.ts';
import { lastSlot, runKeyOf } from './slots.ts';

/**
 * Runs reports on their schedules (node-cron), late for a slot missed while no scheduler ran, and
 * through the runner (runner.ts) that claims each slot: every slot runs once across restarts and
 * across any number of schedulers sharing the store (claims.ts).
 */

const log = logger('reports');

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
