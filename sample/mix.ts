import type { Category, Channel, Priority, Segment, Severity } from '../ingest/events.ts';
import { must } from './must.ts';

/** Who and what the centre sees: the mixes of segments, regions, channels, categories and outcomes. */

/** A categorical distribution over named weights; draws with one uniform number. */
export class Categorical<T extends string> {
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

type Weighted<T extends string> = Record<T, number>;

export const SEGMENT_MIX: Weighted<Segment> = { vip: 10, regular: 70, new: 20 };
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

/** How a contact fails to be resolved at first contact, relative weights (sum ≈ 1 − FCR_BEFORE). */
const FAILURE_MIX = { transfer: 9, escalate: 4, reopen: 6, repeat: 11 } as const;
const COMPLAINT_FAILURE_MIX = { transfer: 6, escalate: 12, reopen: 6, repeat: 10 } as const;
export type FailureMode = keyof typeof FAILURE_MIX;

export const segmentMix = new Categorical(SEGMENT_MIX);
export const regionMix = new Categorical(REGION_MIX);
/** Channels of a contact in opening hours; VIPs use their advisors three times as often. */
export const channelDay = new Categorical(CHANNEL_MIX_OPEN);
export const channelDayVip = new Categorical({
  ...CHANNEL_MIX_OPEN,
  advisor: CHANNEL_MIX_OPEN.advisor * 3,
});
export const channelNight = new Categorical(CHANNEL_MIX_NIGHT);
export const categoryMix = new Categorical(CATEGORY_MIX);
export const priorityMix = new Categorical(PRIORITY_MIX);
export const severityMix = new Categorical(SEVERITY_MIX);
export const failureMix = new Categorical<FailureMode>(FAILURE_MIX);
export const complaintFailureMix = new Categorical<FailureMode>(COMPLAINT_FAILURE_MIX);
