import { randomExponential, randomInt, randomLcg, randomNormal, randomPoisson } from 'd3-random';
import { CxError } from '../infra/errors.ts';
import type { Category, Channel, CxEvent, Priority, Segment, Severity } from '../ingest/events.ts';

/**
 * Seeded, realistic sample data: a Chinese service centre over `days` days, as the events of CONTRACT.md §1.
 *
 * The simulation runs one hour at a time. Every interaction opened in that hour is simulated to its end at
 * once (first response, transfers, resolution, reopen, follow-up, surveys, the customer's churn), and each
 * resulting event is put into the bucket of the hour it happens in. An hour's bucket is complete once every
 * interaction opened up to its end has been simulated, because nothing happens before its cause; so
 * buckets are sorted and emitted one by one, and memory holds only the events still in the future.
 *
 * Two effects are planted for the analytics to find (see `plantedEffects`): a process change that lifts
 * first-contact resolution in team t2 half-way through, and churn driven by how often a customer must
 * contact the centre and by complaints left unresolved.
 *
 * All randomness comes from one d3-random LCG seeded with `seed`, drawn in a fixed order, so the same
 * options give the same events, byte for byte.
 */

export interface SampleOptions {
  seed: number;
  customers: number;
  days: number;
  /** first day, UTC midnight; default: `days` days before today's UTC midnight */
  start?: Date;
  /** IANA zone the service centre works in, for opening hours; default 'Asia/Shanghai' */
  timeZone?: string;
}

export interface PlantedEffects {
  processChange: {
    id: string;
    title: string;
    startsAt: string /* ISO */;
    teamId: string;
    otherTeamIds: string[];
    fcrBefore: number;
    fcrAfter: number;
  };
  contactChurn: { description: string };
}

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

// ---- the service centre's parameters (named so the calibration is visible in one place) ----

/** Fresh contacts per customer per day; repeat contacts and call-backs bring the total to about 0.07. */
const FRESH_RATE = 0.065;
/** σ of the log of a customer's contact propensity: a few customers contact a lot. */
const PROPENSITY_SIGMA = 0.9;
/** Local-hour profile of new contacts (0–23 h): mostly 08–22, peaks late morning and mid-afternoon. */
const HOUR_WEIGHTS = [
  0.05, 0.03, 0.02, 0.02, 0.02, 0.03, 0.08, 0.3, 0.8, 1.3, 1.6, 1.6, 1.2, 1.3, 1.5, 1.5, 1.4, 1.2, 1.0, 1.0,
  1.1, 1.0, 0.6, 0.2,
];
/** Local weekday factors, Sunday first: Monday busiest, weekends quieter. */
const WEEKDAY_FACTORS = [0.72, 1.15, 1.1, 1.05, 1.05, 1.0, 0.85];
const OPEN_FROM_HOUR = 8;
const OPEN_TO_HOUR = 22;

const TEAMS = ['t1', 't2', 't3', 't4', 't5', 't6'] as const;
type Team = (typeof TEAMS)[number];
const AGENTS_PER_TEAM = 10;
/** The team whose process change is planted, and the one escalations go to. */
const CHANGE_TEAM: Team = 't2';
const ESCALATION_TEAM: Team = 't6';
const FCR_BEFORE = 0.7;
const FCR_AFTER = 0.85;

const PHONE_ABANDON = 0.12;
const CALLBACK_AFTER_ABANDON = 0.55;
/**
 * The planted churn driver. After each contact a customer churns (some days later) with probability
 * CHURN_PER_LOAD · (load − 1) + bumps, where `load` is their contact count decayed with a 30-day time
 * constant: the first contact in a while costs nothing, a burst of contacts a lot. No base rate per contact,
 * so that the people who churn after one contact are few and the gradient over contact counts stays clear.
 * Tuned so 5–7 % of customers churn in 120 days and those with 4+ contacts churn several times as often as
 * those with one.
 */
const CONTACT_LOAD_TAU = 30 * DAY;
const CHURN_PER_LOAD = 0.002;
const CHURN_MAX_PER_CONTACT = 0.3;
const CHURN_BUMP_UNRESOLVED_COMPLAINT = 0.12;
const CHURN_BUMP_UNRESOLVED = 0.02;
const CHURN_BUMP_NOT_FIRST_CONTACT = 0.002;
const CHURN_BUMP_UNHAPPY = 0.01;
/** Churn that has nothing to do with service (price, moving away), per customer and day. */
const BACKGROUND_CHURN_PER_DAY = 0.004 / 90;

const SURVEY_RATE = { csat: 0.3, nps: 0.15, ces: 0.1 } as const;
const PURCHASE_RATE: Record<Segment, number> = { vip: 0.02, regular: 0.008, new: 0.015 };
const PURCHASE_MEDIAN_CNY: Record<Segment, number> = { vip: 900, regular: 260, new: 200 };
const ANNUAL_FEE_CNY: Record<Segment, number> = { vip: 1999, regular: 399, new: 399 };
/** A 'new' customer is upserted as 'regular' this long after signing up. */
const NEW_CUSTOMER_PERIOD = 90 * DAY;

type Weighted<T extends string> = Record<T, number>;

const SEGMENT_MIX: Weighted<Segment> = { vip: 10, regular: 70, new: 20 };
const SEGMENT_PROPENSITY: Record<Segment, number> = { vip: 1.4, regular: 1, new: 1.3 };
const REGION_MIX = { east: 30, south: 22, north: 18, southwest: 12, northwest: 10, northeast: 8 };
const CHANNEL_MIX_OPEN: Weighted<Channel> = {
  phone: 35,
  chat: 25,
  email: 15,
  social: 6,
  store: 10,
  advisor: 5,
  self_service: 4,
};
// Outside opening hours stores and advisors are closed and the hotline is thin.
const CHANNEL_MIX_NIGHT: Weighted<Channel> = {
  phone: 12,
  chat: 25,
  email: 15,
  social: 6,
  store: 0,
  advisor: 0,
  self_service: 4,
};
const CATEGORY_MIX: Weighted<Category> = {
  inquiry: 22,
  presales: 10,
  order_support: 18,
  fault_repair: 12,
  tech_support: 12,
  complaint: 8,
  special_request: 5,
  aftersales: 13,
};
const PRIORITY_MIX: Weighted<Priority> = { low: 15, normal: 65, high: 15, urgent: 5 };
const SEVERITY_MIX: Weighted<Severity> = { general: 75, major: 20, crisis: 5 };

/** First-response delay: lognormal median (s) and σ per channel. */
const FIRST_RESPONSE: Record<Channel, { median: number; sigma: number }> = {
  chat: { median: 10, sigma: 0.55 },
  phone: { median: 20, sigma: 0.5 },
  email: { median: 2 * 3600, sigma: 0.7 },
  social: { median: 3 * 3600, sigma: 0.8 },
  store: { median: 60, sigma: 0.6 },
  advisor: { median: 300, sigma: 0.7 },
  self_service: { median: 1800, sigma: 0.9 },
};
const ASYNC_CHANNELS: ReadonlySet<Channel> = new Set(['email', 'social', 'self_service']);

/** Resolution time after the work starts: lognormal median (hours) per category, σ 1. */
const RESOLUTION_MEDIAN_H: Record<Category, number> = {
  inquiry: 0.08,
  presales: 0.15,
  order_support: 1.5,
  fault_repair: 20,
  tech_support: 4,
  complaint: 26,
  special_request: 10,
  aftersales: 16,
};
/** Shift of the first-contact-resolution probability per category; weighted by CATEGORY_MIX it is ≈ 0. */
const FCR_CATEGORY_SHIFT: Record<Category, number> = {
  inquiry: 0.08,
  presales: 0.05,
  order_support: 0,
  fault_repair: -0.05,
  tech_support: -0.05,
  complaint: -0.15,
  special_request: -0.05,
  aftersales: 0,
};
/** How a contact fails to be resolved at first contact, relative weights (sum ≈ 1 − FCR_BEFORE). */
const FAILURE_MIX = { transfer: 9, escalate: 4, reopen: 6, repeat: 11 } as const;
const COMPLAINT_FAILURE_MIX = { transfer: 6, escalate: 12, reopen: 6, repeat: 10 } as const;
type FailureMode = keyof typeof FAILURE_MIX;

const RESOLUTION_CODES: Record<Category, readonly string[]> = {
  inquiry: ['answered', 'info_sent'],
  presales: ['answered', 'quote_sent'],
  order_support: ['order_updated', 'delivery_rescheduled', 'answered'],
  fault_repair: ['repaired', 'replaced', 'technician_visit'],
  tech_support: ['configured', 'workaround', 'software_update'],
  complaint: ['apology', 'compensated', 'refund', 'explained'],
  special_request: ['approved', 'declined'],
  aftersales: ['refund', 'replaced', 'return_accepted'],
};
const SUBJECTS: Record<Category, readonly string[]> = {
  inquiry: ['会员权益咨询', '营业时间咨询', '账户信息查询'],
  presales: ['产品功能咨询', '价格与优惠咨询', '套餐对比'],
  order_support: ['订单状态查询', '修改收货地址', '发票开具'],
  fault_repair: ['设备无法开机', '产品故障报修', '屏幕显示异常'],
  tech_support: ['软件设置问题', '网络连接问题', 'App 登录失败'],
  complaint: ['服务态度投诉', '配送延误投诉', '质量问题投诉', '重复收费投诉'],
  special_request: ['特殊配送需求', '延长保修申请', '无障碍服务需求'],
  aftersales: ['退货申请', '换货申请', '退款进度查询'],
};
const TRANSFER_REASONS = ['needs_specialist', 'wrong_queue', 'billing_question', 'technical_issue'] as const;
const ESCALATION_REASONS = [
  'customer_request',
  'supervisor_approval',
  'complaint_severity',
  'sla_risk',
] as const;
const REOPEN_REASONS = ['issue_persisted', 'customer_not_satisfied', 'new_information'] as const;
const BACKGROUND_CHURN_REASONS = ['price', 'moved', 'no_longer_needed', 'switched_to_competitor'] as const;
const COMMENTS = {
  good: ['服务很好，谢谢', '响应很快', '问题解决了，很满意'],
  neutral: ['还可以', '一般般'],
  bad: ['等待时间太长', '问题没有解决', '被转接了好几次', '希望服务更专业'],
} as const;

// ---- small helpers ----

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new CxError('internal', `generator invariant broken: no ${what}`);
  return v;
}

/** A categorical distribution over named weights; draws with one uniform number. */
class Categorical<T extends string> {
  private readonly values: T[];
  private readonly cum: number[];
  constructor(weights: Partial<Record<T, number>>) {
    this.values = [];
    this.cum = [];
    let acc = 0;
    for (const [k, w] of Object.entries(weights) as [T, number][]) {
      if (w <= 0) continue;
      acc += w;
      this.values.push(k);
      this.cum.push(acc);
    }
    for (let i = 0; i < this.cum.length; i++) this.cum[i] = must(this.cum[i], 'weight') / acc;
  }
  draw(u: number): T {
    for (let i = 0; i < this.cum.length; i++)
      if (u < must(this.cum[i], 'weight')) return must(this.values[i], 'value');
    return must(this.values[this.values.length - 1], 'value');
  }
}

/** UTC offset of an IANA zone at an instant, via Intl (the only zone database a Node process has). */
class ZoneClock {
  private readonly fmt: Intl.DateTimeFormat;
  constructor(readonly timeZone: string) {
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (err) {
      throw new CxError('bad_parameter', `timeZone: ${JSON.stringify(timeZone)} is not an IANA time zone`, {
        cause: err,
      });
    }
  }
  offsetMs(utcMs: number): number {
    const f: Record<string, number> = {};
    for (const p of this.fmt.formatToParts(new Date(utcMs)))
      if (p.type !== 'literal') f[p.type] = Number(p.value);
    const local = Date.UTC(
      f['year'] ?? 0,
      (f['month'] ?? 1) - 1,
      f['day'] ?? 1,
      f['hour'] ?? 0,
      f['minute'] ?? 0,
      f['second'] ?? 0,
    );
    return local - Math.floor(utcMs / SEC) * SEC;
  }
  /** The UTC instant of 00:00 local time on the given calendar date (year, month 0-based, day). */
  localMidnight(y: number, m: number, d: number): number {
    const wall = Date.UTC(y, m, d);
    const guess = wall - this.offsetMs(wall);
    return wall - this.offsetMs(guess);
  }
}

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * `Date#toISOString`, about 5× faster for times that come in order: the date part is cached per UTC day.
 * At a million events that is half a second saved.
 */
class IsoFormatter {
  private day = Number.NaN;
  private prefix = '';
  format(t: number): string {
    const day = Math.floor(t / DAY);
    if (day !== this.day) {
      this.day = day;
      this.prefix = new Date(day * DAY).toISOString().slice(0, 11);
    }
    let rest = t - day * DAY;
    const h = Math.floor(rest / HOUR);
    rest -= h * HOUR;
    const m = Math.floor(rest / MIN);
    rest -= m * MIN;
    const s = Math.floor(rest / SEC);
    return `${this.prefix}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${PAD3[rest - s * SEC]}Z`;
  }
}

interface Resolved {
  seed: number;
  customers: number;
  days: number;
  start: number;
  end: number;
  clock: ZoneClock;
  changeAt: number;
}

function resolve(opts: SampleOptions): Resolved {
  const { seed, customers, days } = opts;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new CxError('bad_parameter', 'seed: must be an integer ≥ 0');
  if (!Number.isInteger(customers) || customers < 1)
    throw new CxError('bad_parameter', 'customers: must be an integer ≥ 1');
  if (!Number.isInteger(days) || days < 1) throw new CxError('bad_parameter', 'days: must be an integer ≥ 1');
  let start: number;
  if (opts.start === undefined) {
    const now = new Date();
    start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - days * DAY;
  } else {
    start = opts.start.getTime();
    if (Number.isNaN(start)) throw new CxError('bad_parameter', 'start: must be a valid date');
  }
  const clock = new ZoneClock(opts.timeZone ?? 'Asia/Shanghai');
  // "Day floor(days/2) at 00:00 local": the local midnight of that day's calendar date.
  const mid = new Date(start + Math.floor(days / 2) * DAY);
  const changeAt = clock.localMidnight(mid.getUTCFullYear(), mid.getUTCMonth(), mid.getUTCDate());
  return { seed, customers, days, start, end: start + days * DAY, clock, changeAt };
}

/**
 * What the generator plants for the analytics to find, with the probabilities it uses. `fcrBefore`/`fcrAfter`
 * are the chances that an interaction of the team is resolved without transfer, escalation, reopen or a repeat
 * contact it causes. The `fcr` KPI of METRICS.md (any contact of the same customer in the same category within
 * 7 days counts against it) comes out lower, because customers also come back by coincidence: about 60 % → 76 %
 * for t2 and a flat ~60 % elsewhere at 4,000 customers × 120 days; the simple proxy "resolved, never reopened,
 * transferred or escalated" reads about 81 % → 90 % for t2.
 */
export function plantedEffects(opts: SampleOptions): PlantedEffects {
  const r = resolve(opts);
  return {
    processChange: {
      id: 'pc-t2-one-touch',
      title: 'Team t2: one-touch resolution (case ownership, knowledge base at first contact)',
      startsAt: new Date(r.changeAt).toISOString(),
      teamId: CHANGE_TEAM,
      otherTeamIds: TEAMS.filter((t) => t !== CHANGE_TEAM),
      fcrBefore: FCR_BEFORE,
      fcrAfter: FCR_AFTER,
    },
    contactChurn: {
      description:
        'Churn rises with contact load: after each contact a customer churns, some days later, with a ' +
        `probability of ${CHURN_PER_LOAD} × (recent contacts − 1), counting contacts with a 30-day exponential ` +
        `memory, plus ${CHURN_BUMP_UNRESOLVED_COMPLAINT} when a complaint is left unresolved and a little for a ` +
        'reopen, transfer, escalation, repeat contact or poor survey score. About 6 % of customers churn in 120 ' +
        'days; those with 4+ contacts several times as often as those with one. A small background churn ' +
        '(price, moving) is independent of service.',
    },
  };
}

// ---- simulation state ----

interface Customer {
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

interface Open {
  t: number;
  seq: number;
  cust: Customer;
  /** Set for a contact that repeats an earlier one; drawn afresh when undefined. */
  channel: Channel | undefined;
  category: Category | undefined;
}

interface Pending {
  t: number;
  seq: number;
  ev: CxEvent;
}

/** One list per hour of the window, made when something first happens in that hour. */
type Slots<T> = (T[] | undefined)[];

interface ChurnIntent {
  t: number;
  cust: Customer;
  reason: string;
}

/** Min-heap of opens by (t, seq): contacts opened while simulating an hour (call-backs) join the queue. */
class OpenQueue {
  private readonly a: Open[] = [];
  private static less(x: Open, y: Open): boolean {
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
  push(o: Open): void {
    const a = this.a;
    a.push(o);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = must(a[p], 'heap parent');
      if (!OpenQueue.less(o, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = o;
  }
  pop(): Open | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const left = must(a[l], 'heap child');
      const right = a[r];
      const c = right !== undefined && OpenQueue.less(right, left) ? r : l;
      const child = c === r && right !== undefined ? right : left;
      if (!OpenQueue.less(child, last)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

class Simulation {
  private readonly u: () => number;
  private readonly normal: () => number;
  private readonly expo: () => number;
  private readonly pickAgent: () => number;
  private readonly poisson: (lambda: number) => () => number;

  private readonly customers: Customer[] = [];
  /** Cumulative contact propensity, for drawing who contacts next. */
  private readonly contactCum: Float64Array;
  private readonly purchaseCum: Float64Array;
  private readonly agentSkill: number[] = [];
  /** Expected purchases per day when nobody has churned. */
  private readonly purchaseTotal: number;

  // Per hour of the window (sparse): what happens in it, known so far.
  private readonly buckets: Slots<Pending>;
  private readonly scheduledOpens: Slots<Open>;
  private readonly churnIntents: Slots<ChurnIntent>;
  private readonly renewals: Slots<{ t: number; cust: Customer }>;
  private readonly upgrades: Slots<{ t: number; cust: Customer }>;
  /** Local hour and weekday of each UTC hour of the window. */
  private readonly localHour: Uint8Array;
  private readonly localWeekday: Uint8Array;

  private readonly iso = new IsoFormatter();
  private seq = 0;
  private emitted = 0;
  private interactions = 0;

  private readonly segmentMix = new Categorical(SEGMENT_MIX);
  private readonly regionMix = new Categorical(REGION_MIX);
  private readonly channelDay = new Categorical(CHANNEL_MIX_OPEN);
  private readonly channelDayVip = new Categorical({
    ...CHANNEL_MIX_OPEN,
    advisor: CHANNEL_MIX_OPEN.advisor * 3,
  });
  private readonly channelNight = new Categorical(CHANNEL_MIX_NIGHT);
  private readonly categoryMix = new Categorical(CATEGORY_MIX);
  private readonly priorityMix = new Categorical(PRIORITY_MIX);
  private readonly severityMix = new Categorical(SEVERITY_MIX);
  private readonly failureMix = new Categorical<FailureMode>(FAILURE_MIX);
  private readonly complaintFailureMix = new Categorical<FailureMode>(COMPLAINT_FAILURE_MIX);
  private readonly hourShare: number[];

  constructor(private readonly r: Resolved) {
    const src = randomLcg(r.seed);
    this.u = src;
    this.poisson = randomPoisson.source(src);
    this.normal = randomNormal.source(src)(0, 1);
    this.expo = randomExponential.source(src)(1);
    this.pickAgent = randomInt.source(src)(0, AGENTS_PER_TEAM);

    const hourSum = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
    this.hourShare = HOUR_WEIGHTS.map((w) => w / hourSum);
    const nHours = r.days * 24;
    // Filled with undefined rather than left sparse: V8 keeps such arrays fast.
    const slots = <T>(): Slots<T> => new Array<T[] | undefined>(nHours).fill(undefined);
    this.buckets = slots();
    this.scheduledOpens = slots();
    this.churnIntents = slots();
    this.renewals = slots();
    this.upgrades = slots();
    this.localHour = new Uint8Array(nHours);
    this.localWeekday = new Uint8Array(nHours);
    for (let d = 0; d < r.days; d++) {
      const dayStart = r.start + d * DAY;
      // Offsets change at most once a day (DST); ask Intl per hour only on such days.
      const o0 = r.clock.offsetMs(dayStart);
      const same = r.clock.offsetMs(dayStart + DAY - HOUR) === o0;
      for (let h = 0; h < 24; h++) {
        const t = dayStart + h * HOUR;
        const local = new Date(t + (same ? o0 : r.clock.offsetMs(t)));
        this.localHour[d * 24 + h] = local.getUTCHours();
        this.localWeekday[d * 24 + h] = local.getUTCDay();
      }
    }

    for (let i = 0; i < TEAMS.length * AGENTS_PER_TEAM; i++) this.agentSkill.push(0.03 * this.normal());

    this.contactCum = new Float64Array(r.customers);
    this.purchaseCum = new Float64Array(r.customers);
    const width = Math.max(6, String(r.customers).length);
    let cCum = 0;
    let pCum = 0;
    for (let i = 0; i < r.customers; i++) {
      const segment = this.segmentMix.draw(this.u());
      const years = segment === 'vip' ? 1 + 7 * this.u() : segment === 'regular' ? 0.25 + 5.75 * this.u() : 0;
      const signedUpAt =
        segment === 'new'
          ? r.start - (1 + 89 * this.u()) * DAY
          : r.start - Math.round(years * 365.25) * DAY - this.u() * DAY;
      const cust: Customer = {
        id: `c${String(i + 1).padStart(width, '0')}`,
        segment,
        region: this.regionMix.draw(this.u()),
        signedUpAt: Math.round(signedUpAt),
        churnAt: Infinity,
        churnEmitted: false,
        load: 0,
        lastContact: r.start,
      };
      this.customers.push(cust);
      cCum += SEGMENT_PROPENSITY[segment] * Math.exp(PROPENSITY_SIGMA * this.normal());
      this.contactCum[i] = cCum;
      pCum += PURCHASE_RATE[segment];
      this.purchaseCum[i] = pCum;

      this.push(r.start + this.u() * 5 * MIN, {
        event_id: '',
        type: 'customer.upserted',
        occurred_at: '',
        customer_id: cust.id,
        segment,
        region: cust.region,
        signed_up_at: new Date(cust.signedUpAt).toISOString(),
      });
      // Annual contract: renewed on the sign-up anniversary unless the customer churned first.
      const su = new Date(cust.signedUpAt);
      for (let y = new Date(r.start).getUTCFullYear(); ; y++) {
        const ann = Date.UTC(y, su.getUTCMonth(), su.getUTCDate(), su.getUTCHours(), su.getUTCMinutes());
        if (ann < r.start || ann <= cust.signedUpAt) continue;
        if (ann >= r.end) break;
        this.inSlot(this.renewals, ann)?.push({ t: ann, cust });
      }
      if (segment === 'new')
        this.inSlot(this.upgrades, cust.signedUpAt + NEW_CUSTOMER_PERIOD)?.push({
          t: cust.signedUpAt + NEW_CUSTOMER_PERIOD,
          cust,
        });
      const bg = r.start + HOUR + (this.expo() / BACKGROUND_CHURN_PER_DAY) * DAY;
      this.intendChurn(cust, bg, must(BACKGROUND_CHURN_REASONS[Math.floor(this.u() * 4)], 'reason'));
    }
    // Normalise propensities so FRESH_RATE is the mean per customer.
    for (let i = 0; i < r.customers; i++) this.contactCum[i] = must(this.contactCum[i], 'weight') / cCum;
    for (let i = 0; i < r.customers; i++) this.purchaseCum[i] = must(this.purchaseCum[i], 'weight') / pCum;
    this.purchaseTotal = pCum;
  }

  /**
   * The events of hour `k` of the window (0-based), sorted by occurred_at; hours must be asked for in order.
   * Hours, not days, so that most events are emitted soon after they are made: less for the GC to move.
   */
  get slots(): number {
    return this.r.days * 24;
  }

  slot(k: number): Pending[] {
    const r = this.r;
    const slotStart = r.start + k * HOUR;
    const q = new OpenQueue();
    for (const o of this.scheduledOpens[k] ?? []) q.push(o);
    this.scheduledOpens[k] = undefined;
    const share = must(this.hourShare[must(this.localHour[k], 'hour')], 'share');
    const wd = must(WEEKDAY_FACTORS[must(this.localWeekday[k], 'weekday')], 'weekday');
    const n = this.poisson(r.customers * FRESH_RATE * wd * share)();
    for (let i = 0; i < n; i++) {
      const t = slotStart + this.u() * HOUR;
      q.push({
        t,
        seq: this.seq++,
        cust: this.drawCustomer(this.contactCum, this.u()),
        channel: undefined,
        category: undefined,
      });
    }
    for (let o = q.pop(); o !== undefined; o = q.pop()) this.interaction(o, q, slotStart + HOUR);
    this.endOfSlot(k, slotStart);

    const bucket = this.buckets[k] ?? [];
    this.buckets[k] = undefined;
    bucket.sort((a, b) => a.t - b.t || a.seq - b.seq);
    for (const p of bucket) {
      p.ev.event_id = `${r.seed}-${this.emitted++}`;
      p.ev.occurred_at = this.iso.format(p.t);
    }
    return bucket;
  }

  // ---- customers, purchases, renewals, churn ----

  private endOfSlot(k: number, slotStart: number): void {
    // Run after the hour's interactions: every churn that happens in it is known by now.
    const n = this.poisson(this.purchaseTotal / 24)();
    for (let i = 0; i < n; i++) {
      const cust = this.drawCustomer(this.purchaseCum, this.u());
      const t = slotStart + this.u() * HOUR;
      if (cust.churnAt <= t) continue;
      const amount = PURCHASE_MEDIAN_CNY[cust.segment] * Math.exp(0.8 * this.normal());
      this.push(t, {
        event_id: '',
        type: 'customer.purchased',
        occurred_at: '',
        customer_id: cust.id,
        amount: Math.round(amount * 100) / 100,
        currency: 'CNY',
      });
    }
    for (const { t, cust } of this.renewals[k] ?? []) {
      if (cust.churnAt <= t) continue;
      // Loyal-customer discounts: most pay the list price, some get 10–20 % off.
      const fee = ANNUAL_FEE_CNY[cust.segment] * (this.u() < 0.7 ? 1 : this.u() < 0.5 ? 0.9 : 0.8);
      this.push(t, {
        event_id: '',
        type: 'customer.renewed',
        occurred_at: '',
        customer_id: cust.id,
        amount: Math.round(fee * 100) / 100,
        currency: 'CNY',
      });
    }
    for (const { t, cust } of this.upgrades[k] ?? []) {
      if (cust.churnAt <= t) continue;
      cust.segment = 'regular';
      this.push(t, {
        event_id: '',
        type: 'customer.upserted',
        occurred_at: '',
        customer_id: cust.id,
        segment: 'regular',
        region: cust.region,
        signed_up_at: new Date(cust.signedUpAt).toISOString(),
      });
    }
    for (const { t, cust, reason } of this.churnIntents[k] ?? []) {
      // A churn planned earlier may have been overtaken by an earlier one; only the first counts.
      if (cust.churnEmitted || cust.churnAt !== t) continue;
      cust.churnEmitted = true;
      this.push(t, { event_id: '', type: 'customer.churned', occurred_at: '', customer_id: cust.id, reason });
    }
    this.renewals[k] = undefined;
    this.upgrades[k] = undefined;
    this.churnIntents[k] = undefined;
  }

  private intendChurn(cust: Customer, t: number, reason: string): void {
    t = Math.round(t);
    if (t >= cust.churnAt) return;
    cust.churnAt = t;
    this.inSlot(this.churnIntents, t)?.push({ t, cust, reason });
  }

  private drawCustomer(cum: Float64Array, u: number): Customer {
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (must(cum[mid], 'weight') > u) hi = mid;
      else lo = mid + 1;
    }
    return must(this.customers[lo], 'customer');
  }

  // ---- one interaction, simulated to its end ----

  private interaction(o: Open, q: OpenQueue, slotEnd: number): void {
    const { cust, t: t0 } = o;
    if (cust.churnAt <= t0) return;
    const r = this.r;
    const u = this.u;
    const id = `i${r.seed}-${++this.interactions}`;
    const hourIdx = Math.floor((t0 - r.start) / HOUR);
    const localHour = must(this.localHour[hourIdx], 'hour');
    const open = localHour >= OPEN_FROM_HOUR && localHour < OPEN_TO_HOUR;

    const channel =
      o.channel ??
      (open ? (cust.segment === 'vip' ? this.channelDayVip : this.channelDay) : this.channelNight).draw(u());
    const category = o.category ?? this.categoryMix.draw(u());
    const complaint = category === 'complaint';
    const severity = complaint ? this.severityMix.draw(u()) : undefined;
    let priority = this.priorityMix.draw(u());
    if (severity === 'crisis') priority = 'urgent';
    else if (severity === 'major' && (priority === 'low' || priority === 'normal')) priority = 'high';
    const team = this.teamFor(channel, complaint);
    const agent = this.agent(team);
    const live = !ASYNC_CHANNELS.has(channel);

    // Contact load, decayed since the last contact: the planted churn driver.
    cust.load = cust.load * Math.exp(-(t0 - cust.lastContact) / CONTACT_LOAD_TAU) + 1;
    cust.lastContact = t0;

    const opened: CxEvent = {
      event_id: '',
      type: 'interaction.opened',
      occurred_at: '',
      interaction_id: id,
      customer_id: cust.id,
      channel,
      category,
      priority,
      team_id: team,
      agent_id: agent,
      subject: this.pick(SUBJECTS[category]),
    };
    if (severity) opened.severity = severity;
    this.push(t0, opened);

    if (channel === 'phone' && u() < PHONE_ABANDON) {
      const wait = Math.max(5, 55 * Math.exp(0.6 * this.normal()));
      this.push(t0 + wait * SEC, {
        event_id: '',
        type: 'interaction.abandoned',
        occurred_at: '',
        interaction_id: id,
        wait_seconds: Math.round(wait),
      });
      if (u() < CALLBACK_AFTER_ABANDON)
        this.scheduleOpen(
          q,
          slotEnd,
          t0 + wait * SEC + (1 + 30 * this.expo()) * MIN,
          cust,
          category,
          'phone',
        );
      this.maybeChurn(cust, t0 + 3 * DAY, 0, false);
      return;
    }

    // First response: lognormal per channel, a little slower at peak hours on live channels, and now
    // and then an overload that breaches the SLA. Urgent things jump the queue of slow channels.
    const fr = FIRST_RESPONSE[channel];
    let median = fr.median;
    let sigma = fr.sigma;
    if (!live && (complaint || priority === 'high' || priority === 'urgent')) {
      median = 1800;
      sigma = 0.6;
    }
    if (channel === 'phone' || channel === 'chat')
      median *= 0.7 + 0.3 * 24 * must(this.hourShare[localHour], 'share');
    let frDelay = median * Math.exp(sigma * this.normal());
    if (u() < 0.04) frDelay *= Math.exp(1.5 + 0.5 * this.normal());
    const t1 = t0 + Math.max(1, frDelay) * SEC;
    this.push(t1, {
      event_id: '',
      type: 'interaction.first_response',
      occurred_at: '',
      interaction_id: id,
      agent_id: agent,
      team_id: team,
    });
    const slow = frDelay > slaTargetSeconds(channel, category, priority);

    // First-contact resolution, the planted process change: t2 gets better from `changeAt` on.
    const base = team === CHANGE_TEAM && t0 >= r.changeAt ? FCR_AFTER : FCR_BEFORE;
    const pFcr = clamp(
      base +
        FCR_CATEGORY_SHIFT[category] +
        must(this.agentSkill[agentIndex(agent)], 'skill') -
        (severity === 'crisis' ? 0.1 : 0),
      0.2,
      0.97,
    );
    let mode: FailureMode | undefined;
    if (u() >= pFcr)
      mode =
        severity === 'crisis' && u() < 0.7
          ? 'escalate'
          : (complaint ? this.complaintFailureMix : this.failureMix).draw(u());
    const unresolved = u() < (complaint ? (severity === 'crisis' ? 0.2 : 0.1) : 0.015);

    let tw = t1;
    let handlerAgent = agent;
    if (mode === 'transfer') {
      tw += (live ? 4 * MIN : 2 * HOUR) * Math.exp(0.7 * this.normal()) + 30 * SEC;
      const to = this.otherTeam(team);
      this.push(tw, {
        event_id: '',
        type: 'interaction.transferred',
        occurred_at: '',
        interaction_id: id,
        from_team_id: team,
        to_team_id: to,
        reason: this.pick(TRANSFER_REASONS),
      });
      handlerAgent = this.agent(to);
    } else if (mode === 'escalate') {
      tw += (live ? 20 * MIN : 3 * HOUR) * Math.exp(0.8 * this.normal()) + MIN;
      const escalated: CxEvent = {
        event_id: '',
        type: 'interaction.escalated',
        occurred_at: '',
        interaction_id: id,
        severity: severity ?? (priority === 'urgent' ? 'crisis' : 'major'),
        reason: this.pick(ESCALATION_REASONS),
      };
      // The complaint desk escalates to its own supervisors, not to another team.
      if (team !== ESCALATION_TEAM) escalated.to_team_id = ESCALATION_TEAM;
      this.push(tw, escalated);
      handlerAgent = this.agent(ESCALATION_TEAM);
    }

    if (unresolved) {
      // An open complaint is the strongest churn signal there is.
      this.maybeChurn(
        cust,
        t0 + 3 * DAY,
        complaint ? CHURN_BUMP_UNRESOLVED_COMPLAINT : CHURN_BUMP_UNRESOLVED,
        complaint,
      );
      return;
    }

    let resMedian =
      RESOLUTION_MEDIAN_H[category] *
      HOUR *
      (live ? 1 : 2.5) *
      (mode === 'transfer' || mode === 'escalate' ? 1.5 : 1);
    let tr = this.backOffice(tw, Math.max(30 * SEC, resMedian * Math.exp(this.normal())));
    const code = this.pick(RESOLUTION_CODES[category]);
    this.push(tr, {
      event_id: '',
      type: 'interaction.resolved',
      occurred_at: '',
      interaction_id: id,
      agent_id: handlerAgent,
      resolution_code: code,
    });
    if (mode === 'reopen') {
      const tro = tr + Math.max(10 * MIN, 30 * HOUR * this.expo());
      this.push(tro, {
        event_id: '',
        type: 'interaction.reopened',
        occurred_at: '',
        interaction_id: id,
        reason: this.pick(REOPEN_REASONS),
      });
      resMedian = 10 * HOUR;
      tr = this.backOffice(tro, Math.max(5 * MIN, resMedian * Math.exp(0.9 * this.normal())));
      this.push(tr, {
        event_id: '',
        type: 'interaction.resolved',
        occurred_at: '',
        interaction_id: id,
        agent_id: handlerAgent,
        resolution_code: code,
      });
    } else if (mode === 'repeat') {
      // The customer comes back about the same thing within the FCR window (7 days).
      let gap = 1.5 * DAY * Math.exp(0.9 * this.normal());
      if (gap > 6.8 * DAY) gap = (1 + 150 * u()) * HOUR;
      this.scheduleOpen(
        q,
        slotEnd,
        this.openingHours(tr + Math.max(10 * MIN, gap)),
        cust,
        category,
        u() < 0.6 ? channel : undefined,
      );
    }

    // How the experience went, for surveys, follow-ups and churn.
    const longResolution = tr - t0 > 3 * DAY;
    const penalty =
      (slow ? 0.1 : 0) +
      (mode === 'transfer' ? 0.12 : 0) +
      (mode === 'escalate' ? 0.12 : 0) +
      (mode === 'reopen' ? 0.28 : 0) +
      (mode === 'repeat' ? 0.2 : 0) +
      (complaint ? 0.1 : 0) +
      (longResolution ? 0.08 : 0) +
      (severity === 'crisis' ? 0.1 : 0);

    let unhappy = false;
    if (complaint) {
      const v = u();
      // Follow-up calls happen in opening hours; drawn within 40 h so that the night shift keeps ~80 % in 48 h.
      const tf =
        v < 0.8
          ? this.openingHours(tr + (0.5 + 39.5 * u()) * HOUR)
          : v < 0.9
            ? this.openingHours(tr + 48 * HOUR + 72 * HOUR * this.expo())
            : undefined;
      if (tf !== undefined) {
        const w = u();
        const pSat = clamp(0.72 - penalty, 0.15, 0.9);
        const outcome = w < pSat ? 'satisfied' : w < 0.85 ? 'unsatisfied' : 'unreachable';
        unhappy = outcome === 'unsatisfied';
        this.push(tf, {
          event_id: '',
          type: 'interaction.followed_up',
          occurred_at: '',
          interaction_id: id,
          outcome,
          agent_id: handlerAgent,
        });
      }
    }

    const lang = u() < 0.96 ? 'zh-CN' : 'en';
    if (u() < SURVEY_RATE.csat) {
      const q2 = clamp(0.96 - penalty, 0.1, 0.99);
      const score = u() < q2 ? (u() < 0.62 ? 5 : 4) : pickScore(u(), [0.2, 0.3, 0.5], 1);
      unhappy ||= score <= 2;
      const mood = score >= 4 ? 'good' : score === 3 ? 'neutral' : 'bad';
      const csat: CxEvent = {
        event_id: '',
        type: 'survey.responded',
        occurred_at: '',
        customer_id: cust.id,
        survey: 'csat',
        score,
        interaction_id: id,
        channel,
        language: lang,
      };
      if (u() < 0.08) csat.comment = this.pick(COMMENTS[mood]);
      this.push(this.surveyTime(tr), csat);
    }
    if (u() < SURVEY_RATE.nps) {
      const pProm = clamp(0.6 - 1.5 * penalty, 0.05, 0.9);
      const pDet = clamp(0.14 + 1.5 * penalty, 0.05, 0.9);
      const v = u();
      const score =
        v < pProm
          ? u() < 0.45
            ? 10
            : 9
          : v < 1 - pDet
            ? u() < 0.55
              ? 8
              : 7
            : pickScore(u(), [0.03, 0.02, 0.04, 0.06, 0.1, 0.25, 0.5], 0);
      unhappy ||= score <= 4;
      this.push(this.surveyTime(tr), {
        event_id: '',
        type: 'survey.responded',
        occurred_at: '',
        customer_id: cust.id,
        survey: 'nps',
        score,
        interaction_id: id,
        channel,
        language: lang,
      });
    }
    if (u() < SURVEY_RATE.ces) {
      // CES 2.0 wording ("the company made it easy to handle my issue"): 7 = easiest.
      const score = Math.round(clamp(6 - 6 * penalty + 0.9 * this.normal(), 1, 7));
      this.push(this.surveyTime(tr), {
        event_id: '',
        type: 'survey.responded',
        occurred_at: '',
        customer_id: cust.id,
        survey: 'ces',
        score,
        interaction_id: id,
        channel,
        language: lang,
      });
    }

    const bump = (mode === undefined ? 0 : CHURN_BUMP_NOT_FIRST_CONTACT) + (unhappy ? CHURN_BUMP_UNHAPPY : 0);
    this.maybeChurn(cust, tr, bump, false);
  }

  /**
   * The planted driver: after each contact, churn with a probability that grows with the customer's recent
   * contact load, plus `bump` for a bad experience; it happens some days after `from`.
   */
  private maybeChurn(cust: Customer, from: number, bump: number, unresolvedComplaint: boolean): void {
    const p = Math.min(CHURN_MAX_PER_CONTACT, CHURN_PER_LOAD * Math.max(0, cust.load - 1) + bump);
    if (this.u() >= p) return;
    const reason = unresolvedComplaint
      ? 'unresolved_complaint'
      : this.u() < 0.6
        ? 'poor_service'
        : 'switched_to_competitor';
    this.intendChurn(cust, from + HOUR + 10 * DAY * this.expo(), reason);
  }

  private scheduleOpen(
    q: OpenQueue,
    slotEnd: number,
    t: number,
    cust: Customer,
    category: Category,
    channel: Channel | undefined,
  ): void {
    const open: Open = { t: Math.round(t), seq: this.seq++, cust, channel, category };
    if (open.t < slotEnd) q.push(open);
    else this.inSlot(this.scheduledOpens, open.t)?.push(open);
  }

  /** The end of work taking `delay` ms from `t`: done on the spot if short, else in opening hours. */
  private backOffice(t: number, delay: number): number {
    return delay <= HOUR ? t + delay : this.openingHours(t + delay);
  }

  /** `t` if the centre is open then, else a time in the first two hours after it opens again. */
  private openingHours(t: number): number {
    let k = Math.floor((t - this.r.start) / HOUR);
    let h = this.localHour[k];
    if (h === undefined || (h >= OPEN_FROM_HOUR && h < OPEN_TO_HOUR)) return t;
    for (;;) {
      h = this.localHour[++k];
      if (h === undefined) return t; // past the window: never emitted anyway
      if (h >= OPEN_FROM_HOUR && h < OPEN_TO_HOUR) return this.r.start + (k + 2 * this.u()) * HOUR;
    }
  }

  private surveyTime(resolvedAt: number): number {
    return resolvedAt + Math.max(MIN, 2 * HOUR * Math.exp(1.2 * this.normal()));
  }

  private teamFor(channel: Channel, complaint: boolean): Team {
    const u = this.u();
    // The complaint desk (t6) takes a quarter of the complaints that come in remotely.
    if (complaint && channel !== 'store' && channel !== 'advisor' && this.u() < 0.25) return 't6';
    switch (channel) {
      case 'phone':
        return u < 0.5 ? 't1' : 't2';
      case 'chat':
        return u < 0.4 ? 't2' : 't3';
      case 'social':
        return 't3';
      case 'email':
      case 'self_service':
        return 't4';
      case 'store':
        return 't5';
      case 'advisor':
        return 't6';
    }
  }

  private otherTeam(team: Team): Team {
    // Transfers go to the front-line and specialist teams t1–t5, never back to the same team.
    const choices = TEAMS.filter((t) => t !== team && t !== ESCALATION_TEAM);
    return must(choices[Math.floor(this.u() * choices.length)], 'team');
  }

  private agent(team: Team): string {
    const n = TEAMS.indexOf(team) * AGENTS_PER_TEAM + this.pickAgent() + 1;
    return `a${String(n).padStart(2, '0')}`;
  }

  private pick<T>(xs: readonly T[]): T {
    return must(xs[Math.floor(this.u() * xs.length)], 'choice');
  }

  /** The list of the hour `t` falls in, made on first use; undefined outside the window (never emitted). */
  private inSlot<T>(lists: Slots<T>, t: number): T[] | undefined {
    if (t < this.r.start || t >= this.r.end) return undefined;
    const k = Math.floor((t - this.r.start) / HOUR);
    return (lists[k] ??= []);
  }

  private push(t: number, ev: CxEvent): void {
    const ms = Math.round(t);
    this.inSlot(this.buckets, ms)?.push({ t: ms, seq: this.seq++, ev });
  }
}

function agentIndex(agent: string): number {
  return Number(agent.slice(1)) - 1;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A score from `first` upward with the given relative weights. */
function pickScore(u: number, weights: readonly number[], first: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += must(weights[i], 'weight') / total;
    if (u < acc) return first + i;
  }
  return first + weights.length - 1;
}

/** The default SLA policy of METRICS.md: by channel, tightened to 1 h for complaints and high/urgent. */
function slaTargetSeconds(channel: Channel, category: Category, priority: Priority): number {
  const byChannel =
    channel === 'chat' ? 15 : channel === 'phone' ? 30 : channel === 'email' ? 4 * 3600 : 24 * 3600;
  return category === 'complaint' || priority === 'high' || priority === 'urgent'
    ? Math.min(byChannel, 3600)
    : byChannel;
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

/**
 * Rough number of events generateSample will yield (for progress bars), within ±10 % (within ~2 % from a few
 * thousand customers; a population of a hundred varies more with how many heavy contacters it draws).
 */
export function estimateSampleSize(opts: SampleOptions): number {
  const r = resolve(opts);
  const { customers: n, days } = r;
  // Fresh contacts exactly as the simulation expects them (opening hours, weekdays in the centre's zone).
  const hourSum = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
  let fresh = 0;
  for (let d = 0; d < days; d++) {
    const dayStart = r.start + d * DAY;
    const o0 = r.clock.offsetMs(dayStart);
    for (let h = 0; h < 24; h++) {
      const local = new Date(dayStart + h * HOUR + o0);
      fresh +=
        ((HOUR_WEIGHTS[local.getUTCHours()] ?? 0) / hourSum) * (WEEKDAY_FACTORS[local.getUTCDay()] ?? 1);
    }
  }
  fresh *= n * FRESH_RATE;
  const opened = fresh * interpolate(OPENED_PER_FRESH, days);
  // Later events of an interaction fall past the end of a short window; a = 0.767, b = 2.47 fit that loss.
  const perOpened = EVENTS_PER_OPENED * (1 - 0.767 / (days + 2.47));
  const churned = n * interpolate(CHURNED_PER_CUSTOMER, days);
  const share = (s: Segment) => SEGMENT_MIX[s] / (SEGMENT_MIX.vip + SEGMENT_MIX.regular + SEGMENT_MIX.new);
  const upserts = n * (1 + share('new') * Math.min(1, days / 90));
  const purchaseRate = SEGMENTS_ALL.reduce((a, s) => a + share(s) * PURCHASE_RATE[s], 0);
  const purchases = n * days * purchaseRate - (churned * days * purchaseRate) / 2;
  const renewals = (n * ((1 - share('new')) * days + share('new') * Math.max(0, days - 320))) / 365;
  return Math.round(opened * (1 + perOpened) + upserts + purchases + renewals + churned);
}

const SEGMENTS_ALL = ['vip', 'regular', 'new'] as const;
/**
 * Measured from the simulation (3 seeds, ~1M events per point), so estimateSampleSize stays within a few
 * per cent: interactions opened per expected fresh contact by window length in days (repeat contacts and
 * call-backs add ~13 %, churn of the heavy contacters takes it away again), events per opened interaction on
 * a long window, and customers churned. Re-measure when the simulation's parameters change; the unit test
 * checks the ±10 % promise.
 */
const OPENED_PER_FRESH: readonly (readonly [number, number])[] = [
  [0, 1],
  [1, 1.022],
  [3, 1.052],
  [7, 1.09],
  [14, 1.108],
  [30, 1.115],
  [60, 1.096],
  [90, 1.062],
  [120, 1.047],
  [180, 0.989],
  [240, 0.953],
  [365, 0.877],
  [540, 0.798],
  [730, 0.748],
];
const EVENTS_PER_OPENED = 2.745;
const CHURNED_PER_CUSTOMER: readonly (readonly [number, number])[] = [
  [0, 0],
  [30, 0.009],
  [60, 0.028],
  [120, 0.065],
  [180, 0.1],
  [365, 0.187],
  [730, 0.3],
];

/** Piecewise-linear interpolation in a table sorted by x; straight extrapolation past its end. */
function interpolate(table: readonly (readonly [number, number])[], x: number): number {
  for (let i = 1; i < table.length; i++) {
    const [x1, y1] = must(table[i], 'row');
    if (x <= x1 || i === table.length - 1) {
      const [x0, y0] = must(table[i - 1], 'row');
      return Math.max(0, y0 + ((y1 - y0) * (x - x0)) / (x1 - x0));
    }
  }
  return must(table[0], 'row')[1];
}
