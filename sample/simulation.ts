import type { Category, Channel, CxEvent } from '../ingest/events.ts';
import { FRESH_RATE } from './calibration.ts';
import { HOUR, HOUR_SHARE, IsoFormatter, LocalHours, WEEKDAY_FACTORS } from './clock.ts';
import { Population } from './customers.ts';
import { Draws } from './draws.ts';
import { simulateInteraction } from './interaction.ts';
import { must } from './must.ts';
import { resolve, type Resolved, type SampleOptions } from './options.ts';
import { OpenQueue } from './queue.ts';
import { inSlot, newSlots, type Slots } from './slots.ts';
import { Staff } from './teams.ts';
import type { Customer, Open, OpenSink, Pending, World } from './world.ts';

/**
 * Seeded, realistic sample data: a Chinese service centre over `days` days, as the events of docs/contract.md §1.
 *
 * The simulation runs one hour at a time. Every interaction opened in that hour is simulated to its end at
 * once (first response, transfers, resolution, reopen, follow-up, surveys, the customer's churn), and each
 * resulting event is put into the bucket of the hour it happens in. An hour's bucket is complete once every
 * interaction opened up to its end has been simulated, because nothing happens before its cause; so
 * buckets are sorted and emitted one by one, and memory holds only the events still in the future.
 *
 * Two effects are planted for the analytics to find (see `planted.ts`): a process change that lifts
 * first-contact resolution in team t2 half-way through, and churn driven by how often a customer must
 * contact the centre and by complaints left unresolved.
 *
 * All randomness comes from one d3-random LCG seeded with `seed` (`draws.ts`), drawn in a fixed order, so
 * the same options give the same events, byte for byte.
 */
export class Simulation implements World {
  readonly draws: Draws;
  readonly hours: LocalHours;
  readonly staff: Staff;
  private readonly population: Population;

  // Per hour of the window (sparse): what happens in it, known so far.
  private readonly buckets: Slots<Pending>;
  private readonly scheduledOpens: Slots<Open>;

  private readonly iso = new IsoFormatter();
  private seq = 0;
  private emitted = 0;
  private interactions = 0;

  constructor(readonly r: Resolved) {
    this.draws = new Draws(r.seed);
    this.buckets = newSlots(r.days * 24);
    this.scheduledOpens = newSlots(r.days * 24);
    this.hours = new LocalHours(r.start, r.days, r.clock);
    this.staff = new Staff(this.draws);
    this.population = new Population(this);
  }

  /** Hours in the window. */
  get slots(): number {
    return this.r.days * 24;
  }

  /**
   * The events of hour `k` of the window (0-based), sorted by occurred_at; hours must be asked for in order.
   * Hours, not days, so that most events are emitted soon after they are made: less for the GC to move.
   */
  slot(k: number): Pending[] {
    const r = this.r;
    const { u } = this.draws;
    const slotStart = r.start + k * HOUR;
    const q = new OpenQueue();
    for (const o of this.scheduledOpens[k] ?? []) q.push(o);
    this.scheduledOpens[k] = undefined;
    const share = must(HOUR_SHARE[must(this.hours.hour[k], 'hour')], 'share');
    const wd = must(WEEKDAY_FACTORS[must(this.hours.weekday[k], 'weekday')], 'weekday');
    const n = this.draws.poisson(r.customers * FRESH_RATE * wd * share)();
    for (let i = 0; i < n; i++) {
      const t = slotStart + u() * HOUR;
      q.push({
        t,
        seq: this.seq++,
        cust: this.population.nextContact(u()),
        channel: undefined,
        category: undefined,
      });
    }
    for (let o = q.pop(); o !== undefined; o = q.pop()) simulateInteraction(this, o, q, slotStart + HOUR);
    this.population.endOfSlot(k, slotStart);

    const bucket = this.buckets[k] ?? [];
    this.buckets[k] = undefined;
    bucket.sort((a, b) => a.t - b.t || a.seq - b.seq);
    for (const p of bucket) {
      p.ev.event_id = `${r.seed}-${this.emitted++}`;
      p.ev.occurred_at = this.iso.format(p.t);
    }
    return bucket;
  }

  nextInteractionId(): string {
    return `i${this.r.seed}-${++this.interactions}`;
  }

  push(t: number, ev: CxEvent): void {
    const ms = Math.round(t);
    inSlot(this.buckets, ms, this.r.start, this.r.end)?.push({ t: ms, seq: this.seq++, ev });
  }

  scheduleOpen(
    q: OpenSink,
    slotEnd: number,
    t: number,
    cust: Customer,
    category: Category,
    channel: Channel | undefined,
  ): void {
    const open: Open = { t: Math.round(t), seq: this.seq++, cust, channel, category };
    if (open.t < slotEnd) q.push(open);
    else inSlot(this.scheduledOpens, open.t, this.r.start, this.r.end)?.push(open);
  }

  intendChurn(cust: Customer, t: number, reason: string): void {
    this.population.intendChurn(cust, t, reason);
  }
}

/**
 * Every event of the simulation, valid per ingest/events.ts parseEvent, ordered by occurred_at.
 *
 * - `occurred_at` is UTC (`…Z`, milliseconds) and lies in [start, start + days); events an interaction would
 *   have after the window are not emitted, so the last days hold interactions still in progress.
 * - `event_id` is `${seed}-${n}` with n counting up in emission order; interaction ids are `i${seed}-${n}`,
 *   customer ids `c000001`…, teams `t1`…`t6` (t6 is the complaint desk and takes escalations), agents
 *   `a01`…`a60`, ten per team in order.
 * - CES uses the CES 2.0 wording ("made it easy to handle my issue"): 1–7, higher is better.
 * - Same options, same events; a million events take a few seconds and memory only for events in the future.
 *
 * Bad options throw a `CxError` with code `bad_parameter` at once, not on the first `next()`.
 */
export function generateSample(opts: SampleOptions): Generator<CxEvent> {
  return run(new Simulation(resolve(opts)));
}

function* run(sim: Simulation): Generator<CxEvent> {
  for (let k = 0; k < sim.slots; k++) for (const p of sim.slot(k)) yield p.ev;
}
