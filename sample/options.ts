import { loadConfig, type Config } from '../infra/config.ts';
import { CxError } from '../infra/errors.ts';
import { DAY, ZoneClock } from './clock.ts';

/** The part of the configured service-level policy the simulation uses: whether a first response was slow. */
export type SlaPolicy = Pick<Config['policy'], 'firstResponseSeconds' | 'urgentSeconds'>;

export interface SampleOptions {
  seed: number;
  customers: number;
  days: number;
  /** first day, UTC midnight; default: `days` days before today's UTC midnight */
  start?: Date;
  /** IANA zone the service centre works in, for opening hours; default 'Asia/Shanghai' */
  timeZone?: string;
  /**
   * First-response targets (`cfg.policy`): a response slower than its target makes for worse surveys and
   * follow-ups; default: the configuration's defaults (`SLA_FIRST_RESPONSE_SECONDS`, `SLA_URGENT_SECONDS`).
   */
  sla?: SlaPolicy;
}

/** The options checked and worked out: the window in ms and the instant of the planted process change. */
export interface Resolved {
  seed: number;
  customers: number;
  days: number;
  start: number;
  end: number;
  clock: ZoneClock;
  changeAt: number;
  sla: SlaPolicy;
}

/** Checks the options; bad ones throw a `CxError` with code `bad_parameter`. */
export function resolve(opts: SampleOptions): Resolved {
  const { seed, customers, days } = opts;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new CxError('bad_parameter', 'seed: must be an integer ≥ 0');
  if (!Number.isInteger(customers) || customers < 1)
    throw new CxError('bad_parameter', 'customers: must be an integer ≥ 1');
  if (!Number.isInteger(days) || days < 1) throw new CxError('bad_parameter', 'days: must be an integer ≥ 1');
  let start: number;
  if (opts.start === undefined) {
    start = defaultStart(days).getTime();
  } else {
    start = opts.start.getTime();
    if (Number.isNaN(start)) throw new CxError('bad_parameter', 'start: must be a valid date');
  }
  const sla = opts.sla ?? defaultSla();
  if (sla.firstResponseSeconds['*'] === undefined)
    throw new CxError(
      'bad_parameter',
      'sla: firstResponseSeconds must have a "*" entry for the other channels',
    );
  const clock = new ZoneClock(opts.timeZone ?? 'Asia/Shanghai');
  // "Day floor(days/2) at 00:00 local": the local midnight of that day's calendar date.
  const mid = new Date(start + Math.floor(days / 2) * DAY);
  const changeAt = clock.localMidnight(mid.getUTCFullYear(), mid.getUTCMonth(), mid.getUTCDate());
  return { seed, customers, days, start, end: start + days * DAY, clock, changeAt, sla };
}

/** The first day of a window of `days` days that ends at today's UTC midnight (`now`'s): the default `start`. */
export function defaultStart(days: number, now: Date = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - days * DAY);
}

let defaults: SlaPolicy | undefined;
/** The policy a configuration without any setting has (read once). */
function defaultSla(): SlaPolicy {
  if (defaults === undefined) {
    const { firstResponseSeconds, urgentSeconds } = loadConfig({}).policy;
    defaults = { firstResponseSeconds, urgentSeconds };
  }
  return defaults;
}
