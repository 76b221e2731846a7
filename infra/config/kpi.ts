/**
 * Keys of the KPI engine: target overrides, the service-level policy behind the KPIs (defaults from the
 * service standards in docs/metrics.md), and when the rollups are refreshed.
 */
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { int, json, type KeyTable, type Values } from './keys.ts';

export const targetKeys = {
  METRIC_TARGETS: {
    default: '{}',
    doc: 'Targets that replace the defaults of docs/metrics.md, as JSON `{"csat": 92, "answer_rate": 85}`.',
    schema: json.pipe(z.record(z.string(), z.number({ error: 'targets must be numbers' }))),
  },
} satisfies KeyTable;

export const policyKeys = {
  SLA_FIRST_RESPONSE_SECONDS: {
    default: '{"chat":15,"social":15,"phone":30,"email":14400,"*":86400}',
    doc: 'First-response target per channel in seconds, as JSON; `*` covers every other channel. Default from the standards: online consultation (chat, social) 15 s, phone 30 s, email 4 h, others 24 h.',
    schema: json.pipe(
      z
        .partialRecord(
          z.enum(['phone', 'email', 'chat', 'social', 'store', 'advisor', 'self_service', '*'], {
            error: 'keys must be channels or *',
          }),
          z.number().positive('targets must be positive numbers of seconds'),
        )
        .refine((m) => m['*'] !== undefined, 'must have a "*" entry for the other channels'),
    ),
  },
  SLA_URGENT_SECONDS: {
    default: '3600',
    doc: 'First-response target of complaints and of high or urgent requests, when stricter than the channel’s.',
    schema: int(1, 31_536_000),
  },
  RESOLUTION_TARGET_HOURS: {
    default: '24',
    doc: 'Resolution target for `resolved_on_time`, in hours.',
    schema: z.coerce.number().positive(),
  },
  FCR_REPEAT_WINDOW_DAYS: {
    default: '7',
    doc: 'A contact of the same customer in the same category within this many days of a resolution means it was not resolved at first contact.',
    schema: int(0, 365),
  },
} satisfies KeyTable;

export const rollupKeys = {
  ROLLUP_REFRESH_SCHEDULE: {
    default: '*/15 * * * * *',
    doc: 'When the KPI facts and daily rollups are brought up to date (node-cron expression, seconds first), or `off` (then run `cxpulse refresh` yourself). Run it in one process: `cxpulse start` or `serve`.',
    schema: z
      .string()
      .refine((v) => v === 'off' || validCron(v), 'must be a cron expression such as */15 * * * * * or off')
      .transform((v) => (v === 'off' ? null : v)),
  },
} satisfies KeyTable;

/** Per-metric target overrides (validated against the catalog by metrics/). */
export function targets(v: Values<typeof targetKeys>) {
  return v.METRIC_TARGETS;
}

/** Service-level policy behind the KPIs (defaults from the service standards in docs/metrics.md). */
export function policy(v: Values<typeof policyKeys>) {
  return {
    /** First-response target per channel, seconds; `*` for the others. */
    firstResponseSeconds: v.SLA_FIRST_RESPONSE_SECONDS as Record<string, number>,
    /** Target of complaints and high/urgent requests when stricter than the channel's. */
    urgentSeconds: v.SLA_URGENT_SECONDS,
    resolutionTargetHours: v.RESOLUTION_TARGET_HOURS,
    fcrRepeatWindowDays: v.FCR_REPEAT_WINDOW_DAYS,
  };
}

/** node-cron schedule of the rollup refresh; null = off. */
export function rollups(v: Values<typeof rollupKeys>) {
  return { schedule: v.ROLLUP_REFRESH_SCHEDULE as string | null };
}
