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
  TARGET_BASELINE: {
    default: 'before_quarter',
    doc: 'The baseline period of relative targets (complaints −40 %, NPS +35 %): `before_quarter` (the 90 days before the first day of the current quarter, in `CXPULSE_TIMEZONE`) or local days `YYYY-MM-DD..YYYY-MM-DD`.',
    schema: z
      .string()
      .transform((v) => v.trim())
      .refine(
        (v) => v === 'before_quarter' || baselineRange(v) !== null,
        'must be before_quarter or two dates YYYY-MM-DD..YYYY-MM-DD, the first not after the second',
      ),
  },
} satisfies KeyTable;

const realDate = (s: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

/** `YYYY-MM-DD..YYYY-MM-DD` as local days (null when it is not two real dates in order). */
function baselineRange(v: string): { from: string; to: string } | null {
  const m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(v);
  if (!m) return null;
  const [from, to] = [m[1] as string, m[2] as string];
  try {
    return realDate(from) && realDate(to) && from <= to ? { from, to } : null;
  } catch {
    return null;
  }
}

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
  METRICS_KPIS: {
    default: 'off',
    doc: '`on`: `GET /metrics` also carries the overview KPIs of today and the last 7 days with their targets and status (`cxpulse_kpi_*`, see "KPIs for Prometheus"), for an existing Alertmanager. Served by the process that serves the API.',
    schema: z.enum(['on', 'off'], { error: 'must be on or off' }).transform((v) => v === 'on'),
  },
} satisfies KeyTable;

/** Per-metric target overrides (validated against the catalog by metrics/). */
export function targets(v: Values<typeof targetKeys>) {
  return v.METRIC_TARGETS;
}

/** The baseline period of relative targets: fixed local days, or null for the default (before the quarter). */
export function targetBaseline(v: Values<typeof targetKeys>): { from: string; to: string } | null {
  return v.TARGET_BASELINE === 'before_quarter' ? null : baselineRange(v.TARGET_BASELINE);
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
  return {
    schedule: v.ROLLUP_REFRESH_SCHEDULE as string | null,
    /** METRICS_KPIS: the overview KPIs on `/metrics`, computed after each refresh */
    kpiMetrics: v.METRICS_KPIS,
  };
}
