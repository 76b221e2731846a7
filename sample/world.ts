import type { Category, Channel, CxEvent, Priority, Segment, Severity } from '../ingest/events.ts';
import type { LocalHours } from './clock.ts';
import type { Draws } from './draws.ts';
import type { Resolved } from './options.ts';
import type { Staff, Team } from './teams.ts';

/** What the parts of the simulation share: its state types and the simulation as they see it. */

export interface Customer {
  id: string;
  segment: Segment;
  region: string;
  signedUpAt: number;
  /** Time of churn (Infinity while active); only ever moves earlier. */
  churnAt: number;
  churnEmitted: boolean;
  /** Exponentially decayed count of contacts, as of `lastContact`. */
  load: number;
  lastContact: number;
}

/** A contact to be opened at `t`. */
export interface Open {
  t: number;
  seq: number;
  cust: Customer;
  /** Set for a contact that repeats an earlier one; drawn afresh when undefined. */
  channel: Channel | undefined;
  category: Category | undefined;
}

/** An interaction as it was opened: what the rest of its story depends on. */
export interface Contact {
  id: string;
  t0: number;
  cust: Customer;
  channel: Channel;
  category: Category;
  complaint: boolean;
  severity: Severity | undefined;
  priority: Priority;
  team: Team;
  agent: string;
  /** phone, chat, store, advisor: answered while the customer waits */
  live: boolean;
  localHour: number;
}

/** An event made, waiting in the bucket of its hour for its id and time text. */
export interface Pending {
  t: number;
  seq: number;
  ev: CxEvent;
}

/** Where contacts opened while simulating an hour go (the hour's queue). */
export interface OpenSink {
  push(o: Open): void;
}

export interface World {
  readonly r: Resolved;
  readonly draws: Draws;
  readonly hours: LocalHours;
  readonly staff: Staff;
  /** `i${seed}-${n}`, n counting up from 1. */
  nextInteractionId(): string;
  /** Put an event (its id and time text still empty) into the bucket of the hour `t` falls in. */
  push(t: number, ev: CxEvent): void;
  /** A contact opened at `t`: into this hour's queue `q` when before `slotEnd`, else into its own hour. */
  scheduleOpen(
    q: OpenSink,
    slotEnd: number,
    t: number,
    cust: Customer,
    category: Category,
    channel: Channel | undefined,
  ): void;
  /** The customer churns at `t`, unless a churn is planned earlier already. */
  intendChurn(cust: Customer, t: number, reason: string): void;
}
