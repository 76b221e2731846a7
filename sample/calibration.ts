import type { Category, Channel, Segment } from '../ingest/events.ts';
import { DAY } from './clock.ts';

/**
 * The service centre's rates and timings, named so the calibration is visible in one place (the mixes are
 * in `mix.ts`, the planted effects in `planted.ts`, the hours of the day in `clock.ts`).
 */

/** Fresh contacts per customer per day; repeat contacts and call-backs bring the total to about 0.07. */
export const FRESH_RATE = 0.065;
/** σ of the log of a customer's contact propensity: a few customers contact a lot. */
export const PROPENSITY_SIGMA = 0.9;
export const SEGMENT_PROPENSITY: Record<Segment, number> = { vip: 1.4, regular: 1, new: 1.3 };

export const PHONE_ABANDON = 0.12;
export const CALLBACK_AFTER_ABANDON = 0.55;

/** Churn that has nothing to do with service (price, moving away), per customer and day. */
export const BACKGROUND_CHURN_PER_DAY = 0.004 / 90;

export const SURVEY_RATE = { csat: 0.3, nps: 0.15, ces: 0.1 } as const;
export const PURCHASE_RATE: Record<Segment, number> = { vip: 0.02, regular: 0.008, new: 0.015 };
export const PURCHASE_MEDIAN_CNY: Record<Segment, number> = { vip: 900, regular: 260, new: 200 };
export const ANNUAL_FEE_CNY: Record<Segment, number> = { vip: 1999, regular: 399, new: 399 };
/** A 'new' customer is upserted as 'regular' this long after signing up. */
export const NEW_CUSTOMER_PERIOD = 90 * DAY;

/** First-response delay: lognormal median (s) and σ per channel. */
export const FIRST_RESPONSE: Record<Channel, { median: number; sigma: number }> = {
  chat: { median: 10, sigma: 0.55 },
  phone: { median: 20, sigma: 0.5 },
  email: { median: 2 * 3600, sigma: 0.7 },
  social: { median: 3 * 3600, sigma: 0.8 },
  store: { median: 60, sigma: 0.6 },
  advisor: { median: 300, sigma: 0.7 },
  self_service: { median: 1800, sigma: 0.9 },
};
export const ASYNC_CHANNELS: ReadonlySet<Channel> = new Set(['email', 'social', 'self_service']);

/** Resolution time after the work starts: lognormal median (hours) per category, σ 1. */
export const RESOLUTION_MEDIAN_H: Record<Category, number> = {
  inquiry: 0.08,
  presales: 0.15,
  order_support: 1.5,
  fault_repair: 20,
  tech_support: 4,
  complaint: 26,
  special_request: 10,
  aftersales: 16,
};
/** Shift of the first-contact-resolution probability per category; weighted by the category mix it is ≈ 0. */
export const FCR_CATEGORY_SHIFT: Record<Category, number> = {
  inquiry: 0.08,
  presales: 0.05,
  order_support: 0,
  fault_repair: -0.05,
  tech_support: -0.05,
  complaint: -0.15,
  special_request: -0.05,
  aftersales: 0,
};
