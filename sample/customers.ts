import type { CxEvent } from '../ingest/events.ts';
import {
  ANNUAL_FEE_CNY,
  BACKGROUND_CHURN_PER_DAY,
  NEW_CUSTOMER_PERIOD,
  PROPENSITY_SIGMA,
  PURCHASE_MEDIAN_CNY,
  PURCHASE_RATE,
  SEGMENT_PROPENSITY,
} from './calibration.ts';
import { DAY, HOUR, MIN } from './clock.ts';
import { regionMix, segmentMix } from './mix.ts';
import { must } from './must.ts';
import { inSlot, newSlots, type Slots } from './slots.ts';
import { BACKGROUND_CHURN_REASONS } from './texts.ts';
import type { Customer, World } from './world.ts';

interface Dated {
  t: number;
  cust: Customer;
}
interface ChurnIntent extends Dated {
  reason: string;
}

/**
 * The customers: drawn at the start (segment, region, sign-up, how often they contact the centre and buy),
 * and what they do besides contacting it — purchases, renewals on the sign-up anniversary, the move from
 * 'new' to 'regular', churn — emitted hour by hour.
 */
export class Population {
  private readonly all: Customer[] = [];
  /** Cumulative contact propensity, for drawing who contacts next. */
  private readonly contactCum: Float64Array;
  private readonly purchaseCum: Float64Array;
  /** Expected purchases per day when nobody has churned. */
  private readonly purchaseTotal: number;
  private readonly churnIntents: Slots<ChurnIntent>;
  private readonly renewals: Slots<Dated>;
  private readonly upgrades: Slots<Dated>;

  constructor(private readonly w: Pick<World, 'r' | 'draws' | 'push'>) {
    const { r } = w;
    this.churnIntents = newSlots(r.days * 24);
    this.renewals = newSlots(r.days * 24);
    this.upgrades = newSlots(r.days * 24);
    this.contactCum = new Float64Array(r.customers);
    this.purchaseCum = new Float64Array(r.customers);
    const width = Math.max(6, String(r.customers).length);
    let cCum = 0;
    let pCum = 0;
    for (let i = 0; i < r.customers; i++) {
      const cust = this.newCustomer(i, width);
      this.all.push(cust);
      cCum += SEGMENT_PROPENSITY[cust.segment] * Math.exp(PROPENSITY_SIGMA * w.draws.normal());
      this.contactCum[i] = cCum;
      pCum += PURCHASE_RATE[cust.segment];
      this.purchaseCum[i] = pCum;
      this.welcome(cust);
    }
    // Normalise propensities so FRESH_RATE is the mean per customer.
    for (let i = 0; i < r.customers; i++) this.contactCum[i] = must(this.contactCum[i], 'weight') / cCum;
    for (let i = 0; i < r.customers; i++) this.purchaseCum[i] = must(this.purchaseCum[i], 'weight') / pCum;
    this.purchaseTotal = pCum;
  }

  /** Who contacts the centre next, drawn by contact propensity with the uniform number `u`. */
  nextContact(u: number): Customer {
    return this.draw(this.contactCum, u);
  }

  /** The customer churns at `t`, unless a churn is planned earlier already. */
  intendChurn(cust: Customer, t: number, reason: string): void {
    t = Math.round(t);
    if (t >= cust.churnAt) return;
    cust.churnAt = t;
    this.slot(this.churnIntents, t)?.push({ t, cust, reason });
  }

  /** Purchases, renewals, upgrades and churns of hour `k`; run after the hour's interactions. */
  endOfSlot(k: number, slotStart: number): void {
    // Run after the hour's interactions: every churn that happens in it is known by now.
    this.purchases(slotStart);
    for (const { t, cust } of this.renewals[k] ?? []) this.renew(t, cust);
    for (const { t, cust } of this.upgrades[k] ?? []) this.upgrade(t, cust);
    for (const { t, cust, reason } of this.churnIntents[k] ?? []) {
      // A churn planned earlier may have been overtaken by an earlier one; only the first counts.
      if (cust.churnEmitted || cust.churnAt !== t) continue;
      cust.churnEmitted = true;
      this.w.push(t, {
        event_id: '',
        type: 'customer.churned',
        occurred_at: '',
        customer_id: cust.id,
        reason,
      });
    }
    this.renewals[k] = undefined;
    this.upgrades[k] = undefined;
    this.churnIntents[k] = undefined;
  }

  private newCustomer(i: number, width: number): Customer {
    const { r, draws } = this.w;
    const segment = segmentMix.draw(draws.u());
    const years = segment === 'vip' ? 1 + 7 * draws.u() : segment === 'regular' ? 0.25 + 5.75 * draws.u() : 0;
    const signedUpAt =
      segment === 'new'
        ? r.start - (1 + 89 * draws.u()) * DAY
        : r.start - Math.round(years * 365.25) * DAY - draws.u() * DAY;
    return {
      id: `c${String(i + 1).padStart(width, '0')}`,
      segment,
      region: regionMix.draw(draws.u()),
      signedUpAt: Math.round(signedUpAt),
      churnAt: Infinity,
      churnEmitted: false,
      load: 0,
      lastContact: r.start,
    };
  }

  /** The customer's record at the start, the renewals and upgrade ahead, and their background churn. */
  private welcome(cust: Customer): void {
    const { r, draws } = this.w;
    this.w.push(r.start + draws.u() * 5 * MIN, this.upserted(cust, cust.segment));
    // Annual contract: renewed on the sign-up anniversary unless the customer churned first.
    const su = new Date(cust.signedUpAt);
    for (let y = new Date(r.start).getUTCFullYear(); ; y++) {
      const ann = Date.UTC(y, su.getUTCMonth(), su.getUTCDate(), su.getUTCHours(), su.getUTCMinutes());
      if (ann < r.start || ann <= cust.signedUpAt) continue;
      if (ann >= r.end) break;
      this.slot(this.renewals, ann)?.push({ t: ann, cust });
    }
    if (cust.segment === 'new')
      this.slot(this.upgrades, cust.signedUpAt + NEW_CUSTOMER_PERIOD)?.push({
        t: cust.signedUpAt + NEW_CUSTOMER_PERIOD,
        cust,
      });
    const bg = r.start + HOUR + (draws.expo() / BACKGROUND_CHURN_PER_DAY) * DAY;
    this.intendChurn(cust, bg, must(BACKGROUND_CHURN_REASONS[Math.floor(draws.u() * 4)], 'reason'));
  }

  private purchases(slotStart: number): void {
    const { draws } = this.w;
    const n = draws.poisson(this.purchaseTotal / 24)();
    for (let i = 0; i < n; i++) {
      const cust = this.draw(this.purchaseCum, draws.u());
      const t = slotStart + draws.u() * HOUR;
      if (cust.churnAt <= t) continue;
      const amount = PURCHASE_MEDIAN_CNY[cust.segment] * Math.exp(0.8 * draws.normal());
      this.w.push(t, {
        event_id: '',
        type: 'customer.purchased',
        occurred_at: '',
        customer_id: cust.id,
        amount: Math.round(amount * 100) / 100,
        currency: 'CNY',
      });
    }
  }

  private renew(t: number, cust: Customer): void {
    if (cust.churnAt <= t) return;
    const { u } = this.w.draws;
    // Loyal-customer discounts: most pay the list price, some get 10–20 % off.
    const fee = ANNUAL_FEE_CNY[cust.segment] * (u() < 0.7 ? 1 : u() < 0.5 ? 0.9 : 0.8);
    this.w.push(t, {
      event_id: '',
      type: 'customer.renewed',
      occurred_at: '',
      customer_id: cust.id,
      amount: Math.round(fee * 100) / 100,
      currency: 'CNY',
    });
  }

  private upgrade(t: number, cust: Customer): void {
    if (cust.churnAt <= t) return;
    cust.segment = 'regular';
    this.w.push(t, this.upserted(cust, 'regular'));
  }

  private upserted(cust: Customer, segment: Customer['segment']): CxEvent {
    return {
      event_id: '',
      type: 'customer.upserted',
      occurred_at: '',
      customer_id: cust.id,
      segment,
      region: cust.region,
      signed_up_at: new Date(cust.signedUpAt).toISOString(),
    };
  }

  private draw(cum: Float64Array, u: number): Customer {
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (must(cum[mid], 'weight') > u) hi = mid;
      else lo = mid + 1;
    }
    return must(this.all[lo], 'customer');
  }

  private slot<T>(lists: Slots<T>, t: number): T[] | undefined {
    return inSlot(lists, t, this.w.r.start, this.w.r.end);
  }
}
