/**
 * The vocabulary of the event contract (docs/contract.md §1): the values a channel, category, priority,
 * severity, survey, segment or follow-up outcome may take. Dependency-free on purpose: the event schemas
 * (`events.ts`) validate against these lists, and the browser bundle (`dashboards/web/`) imports them
 * for its filters, so the lists are written once.
 */

export const CHANNELS = ['phone', 'email', 'chat', 'social', 'store', 'advisor', 'self_service'] as const;
export const CATEGORIES = [
  'inquiry',
  'presales',
  'order_support',
  'fault_repair',
  'tech_support',
  'complaint',
  'special_request',
  'aftersales',
] as const;
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const SEVERITIES = ['general', 'major', 'crisis'] as const;
export const SURVEYS = ['csat', 'nps', 'ces'] as const;
export const SEGMENTS = ['vip', 'regular', 'new'] as const;
export const FOLLOW_UP_OUTCOMES = ['satisfied', 'unsatisfied', 'unreachable'] as const;

export type Channel = (typeof CHANNELS)[number];
export type Category = (typeof CATEGORIES)[number];
export type Priority = (typeof PRIORITIES)[number];
export type Severity = (typeof SEVERITIES)[number];
export type Survey = (typeof SURVEYS)[number];
export type Segment = (typeof SEGMENTS)[number];
