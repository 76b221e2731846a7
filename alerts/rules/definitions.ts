import { z } from 'zod';
import { LOCALES, type Locale } from '../../i18n/locales.ts';
import { CxError } from '../../infra/errors.ts';
import { readYamlFile } from '../../infra/yaml-file.ts';
import { getMetric } from '../../metrics/catalog.ts';
import { CLAUSE_TARGETS } from '../../metrics/standards/clauses.ts';
import { DIMENSIONS, type Dimension, type MetricDefinition } from '../../metrics/types.ts';
import { destinationsSchema, toDestination, type Destination } from './destinations.ts';
import { duration } from './duration.ts';
import { ruleIssue } from './issues.ts';
import {
  ANOMALY_SIDES,
  PIPELINE_CHECKS,
  SERVICE_CHECKS,
  WINDOWS,
  type AlertRule,
  type PipelineCheck,
} from './types.ts';

/**
 * Alert rules: what is watched, when it counts as a problem and whom to tell. They live in a YAML file
 * (see the example `alerts.yaml`): `channels:` names the destinations, `alerts:` lists the rules. Every
 * mistake is reported with its place (`alerts[2].for: …`, `channels.ops.dingtalk.secret: …`): those of
 * the fields all at once, then those between rules and destinations (a name defined twice, a destination
 * that does not exist, a filter the KPI cannot take).
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const metricName = z.string().refine(
  (name) => {
    try {
      getMetric(name);
      return true;
    } catch {
      return false;
    }
  },
  {
    message: 'is not a KPI of the catalog (GET /api/v1/metrics lists them)',
    params: { code: 'unknown_metric' },
  },
);

const filters = z
  .partialRecord(
    z.enum(DIMENSIONS, { error: `is not a dimension (one of ${DIMENSIONS.join(', ')})` }),
    z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
      error: 'must be a value or a list of values',
    }),
  )
  .default({})
  .transform((f) => Object.fromEntries(Object.entries(f).map(([d, v]) => [d, Array.isArray(v) ? v : [v]])));

const by = z
  .enum(DIMENSIONS, { error: `must be one dimension (one of ${DIMENSIONS.join(', ')})` })
  .optional();
const minN = z.number().int().min(1).max(1_000_000).default(30);

const condition = z
  .object({
    below: z.number().optional(),
    above: z.number().optional(),
    status: z.literal('missed', { error: 'must be missed' }).optional(),
  })
  .strict()
  .refine((c) => [c.below, c.above, c.status].filter((v) => v !== undefined).length === 1, {
    message: 'must be exactly one of {below: number}, {above: number}, {status: missed}',
    params: { code: 'invalid_condition', choices: '{below: n}, {above: n}, {status: missed}' },
  });

const common = {
  name: z
    .string()
    .regex(
      /^[\p{Ll}\p{Lo}\p{Nd}][\p{Ll}\p{Lo}\p{Nd}_-]{0,62}$/u,
      'must be lower-case letters (any script, e.g. 投诉回访), digits, _ and -',
    ),
  title: z.string().trim().min(1).max(200).optional(),
  locale: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }).optional(),
  for: duration(0, DAY, 'between 0s and 1d').prefault('5m'),
  repeat: duration(MINUTE, 30 * DAY, 'between 1m and 30d').prefault('4h'),
  channels: z.array(z.string().min(1)).min(1, 'needs at least one destination (a name under channels:)'),
};

const kpi = z
  .object({
    ...common,
    kind: z.literal('kpi'),
    metric: metricName,
    filters,
    by,
    window: z.enum(WINDOWS, { error: `must be one of ${WINDOWS.join(', ')}` }),
    condition,
    min_n: minN,
  })
  .strict();

const anomaly = z
  .object({
    ...common,
    kind: z.literal('anomaly'),
    metric: metricName,
    filters,
    by,
    baseline_days: z.number().int().min(7).max(180).default(28),
    side: z.enum(ANOMALY_SIDES, { error: `must be one of ${ANOMALY_SIDES.join(', ')}` }).default('bad'),
    min_n: minN,
  })
  .strict();

const service = z
  .object({
    ...common,
    kind: z.literal('service'),
    check: z.enum(SERVICE_CHECKS, { error: `must be one of ${SERVICE_CHECKS.join(', ')}` }),
    filters,
    by,
    above: z.number().int().min(0).default(0),
  })
  .strict();

/** What each pipeline check needs besides its name. */
const PIPELINE_PARAMS: Record<PipelineCheck, 'per_hour' | 'messages' | 'minutes' | null> = {
  ingester_down: null,
  ingester_degraded: null,
  dlq_growth: 'per_hour',
  consumer_lag: 'messages',
  data_stale: 'minutes',
  report_failed: null,
};

const pipeline = z
  .object({
    ...common,
    kind: z.literal('pipeline'),
    check: z.enum(PIPELINE_CHECKS, { error: `must be one of ${PIPELINE_CHECKS.join(', ')}` }),
    per_hour: z.number().int().min(1).optional(),
    messages: z.number().int().min(1).optional(),
    minutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const need = PIPELINE_PARAMS[r.check];
    for (const p of ['per_hour', 'messages', 'minutes'] as const) {
      if (p === need && r[p] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [p],
          message: `is required by check ${r.check}`,
          params: { code: 'required_by_check', check: r.check },
        });
      if (p !== need && r[p] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [p],
          message: `does not apply to check ${r.check}`,
          params: { code: 'not_for_check', check: r.check },
        });
    }
  });

const KINDS = ['kpi', 'anomaly', 'service', 'pipeline'] as const;
const rule = z.discriminatedUnion('kind', [kpi, anomaly, service, pipeline], {
  error: `kind must be one of ${KINDS.join(', ')}`,
});
type ParsedRule = z.output<typeof rule>;

function fileSchema(allowHttp: boolean) {
  return z
    .object({
      channels: destinationsSchema({ allowHttp }).default({}),
      alerts: z.array(rule).default([]),
    })
    .strict()
    .superRefine((f, ctx) => {
      const seen = new Set<string>();
      f.alerts.forEach((r, i) => {
        const at = (...p: (string | number)[]) => ['alerts', i, ...p];
        if (seen.has(r.name))
          ctx.addIssue({
            code: 'custom',
            path: at('name'),
            message: `${r.name} is defined twice`,
            params: { code: 'duplicate_name', name: r.name },
          });
        seen.add(r.name);
        r.channels.forEach((c, j) => {
          if (!(c in f.channels))
            ctx.addIssue({
              code: 'custom',
              path: at('channels', j),
              message: `${c} is not a destination under channels:`,
              params: { code: 'unknown_channel', channel: c, section: 'channels:' },
            });
        });
        for (const issue of dimensionIssues(r))
          ctx.addIssue({ code: 'custom', ...issue, path: at(...issue.path) });
      });
    });
}

/** Filters and breakdowns a rule's KPI cannot take, and a target status asked of a KPI without target. */
type Issue = { path: (string | number)[]; message: string; params: Record<string, string> };
function dimensionIssues(r: ParsedRule): Issue[] {
  if (r.kind !== 'kpi' && r.kind !== 'anomaly') return [];
  let m: MetricDefinition;
  try {
    m = getMetric(r.metric);
  } catch {
    return []; // named by the metric's own check
  }
  const dims = m.dimensions;
  const not = (d: string) => ({
    message: `${d} is not a dimension of ${m.name} (its dimensions: ${dims.join(', ') || 'none'})`,
    params: { code: 'unknown_dimension', dimension: d, metric: m.name, allowed: dims.join(', ') || '—' },
  });
  const out: Issue[] = Object.keys(r.filters)
    .filter((d) => !dims.includes(d as Dimension))
    .map((d) => ({ path: ['filters', d], ...not(d) }));
  if (r.by && !dims.includes(r.by)) out.push({ path: ['by'], ...not(r.by) });
  if (r.kind === 'kpi' && r.condition.status && !m.target && !CLAUSE_TARGETS.some((t) => t.metric === m.name))
    out.push({
      path: ['condition', 'status'],
      message: `${m.name} has no target to be missed; use below or above`,
      params: { code: 'no_target', metric: m.name, below: 'below', above: 'above' },
    });
  return out;
}

/** What a rule takes from elsewhere when it says nothing, and how strict addresses are. */
export interface RuleDefaults {
  /** CXPULSE_LOCALE: the language of a rule that names none */
  locale: Locale;
  /** accept http destination addresses (local receivers); https only otherwise */
  allowHttp?: boolean;
}

export interface AlertRules {
  rules: AlertRule[];
  destinations: Destination[];
}

/**
 * Validate parsed YAML (or an object written in TypeScript). Throws `alert_invalid` naming every mistake:
 * `details` lists each as its place, a code with parameters (issues.ts; the page's words) and the
 * English message.
 */
export function parseRules(input: unknown, defaults: RuleDefaults, source = 'alerts'): AlertRules {
  const res = fileSchema(defaults.allowHttp ?? false).safeParse(input ?? {}, { reportInput: true });
  if (!res.success) {
    const details = res.error.issues.map(ruleIssue);
    const lines = details.map((d) => `${d.place}: ${d.message}`);
    throw new CxError('alert_invalid', `${source}: ${lines.join('; ')}`, { details });
  }
  const data = res.data;
  const destinations = Object.entries(data.channels).map(([n, d]) => toDestination(n, d));
  const rules = data.alerts.map(({ for: forMs, repeat: repeatMs, ...r }) => ({
    ...r,
    title: r.title ?? r.name,
    locale: r.locale ?? defaults.locale,
    forMs,
    repeatMs,
  })) as AlertRule[];
  return { rules, destinations };
}

/** Read the rules file; a missing file is no rules, a broken one an error naming each problem. */
export function loadRules(file: string, defaults: RuleDefaults): AlertRules {
  const doc = readYamlFile(file, 'alert_invalid');
  return doc === undefined ? { rules: [], destinations: [] } : parseRules(doc, defaults, file);
}
