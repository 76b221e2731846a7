import { CronExpressionParser } from 'cron-parser';
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { LOCALES, type Locale } from '../../i18n/locales.ts';
import { timeZone } from '../../infra/config.ts';
import { checked, readYamlFile } from '../../infra/yaml-file.ts';
import { DIMENSIONS, type Dimension } from '../../metrics/types.ts';
import { getMetric } from '../../metrics/catalog.ts';
import { PERIODS, type PeriodKind } from './period.ts';

/**
 * Report definitions: what a report holds, when it runs and where it goes. They live in a YAML file
 * (`REPORTS_FILE`, default `reports.yaml`); every mistake in it is reported with its path
 * (`reports[1].schedule.cron: …`) when the file is loaded, before any scheduler starts.
 */

export const SECTIONS = [
  'kpis',
  'trends',
  'complaints',
  'sla',
  'teams',
  'retention',
  'changes',
  'standards',
] as const;
/** The sections of a report that names none (the standards scorecard is asked for by name). */
export const DEFAULT_SECTIONS: readonly Section[] = [
  'kpis',
  'trends',
  'complaints',
  'sla',
  'teams',
  'retention',
  'changes',
];
export type Section = (typeof SECTIONS)[number];
export const FORMATS = ['html', 'pdf'] as const;
export type Format = (typeof FORMATS)[number];

const cron = z
  .string()
  .refine((v) => {
    if (!validCron(v)) return false;
    try {
      CronExpressionParser.parse(v);
      return true;
    } catch {
      return false;
    }
  }, 'must be a cron expression (minute hour day month weekday, optionally seconds first), e.g. "0 8 * * 1"')
  .refine((v) => {
    const f = v.trim().split(/\s+/);
    const [day, weekday] = f.length === 6 ? [f[3], f[5]] : [f[2], f[4]];
    const any = (x: string | undefined) => x === '*' || x === '?';
    return any(day) || any(weekday);
  }, 'must not restrict both the day of the month and the weekday (cron engines disagree on whether that means "and" or "or"); restrict one of them');

const email = z.email('must be an email address');

const metricName = z.string().refine((name) => {
  try {
    getMetric(name);
    return true;
  } catch {
    return false;
  }
}, 'is not a KPI of the catalog (GET /api/v1/metrics lists them)');

const ReportSchema = z
  .object({
    name: z
      .string()
      // lower-case letters of any script (周报, weekly), digits and dashes: a file and URL segment as is
      .regex(
        /^[\p{Ll}\p{Lo}\p{Nd}][\p{Ll}\p{Lo}\p{Nd}-]{0,62}$/u,
        'must be lower-case letters (any script, e.g. 周报), digits and dashes (used in file names)',
      ),
    title: z.string().min(1).max(200).optional(),
    /** the recipients' language: every word, number and date of the report */
    locale: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }).optional(),
    // `schedule: '0 8 * * 1'` is short for `schedule: { cron: '0 8 * * 1' }`
    schedule: z.preprocess(
      (v) => (typeof v === 'string' ? { cron: v } : v),
      z.object({ cron, timezone: timeZone.optional() }).strict(),
    ),
    period: z.enum(PERIODS),
    sections: z
      .array(z.enum(SECTIONS))
      .min(1)
      .default([...DEFAULT_SECTIONS]),
    /** the KPIs of the trends section */
    trends: z.array(metricName).min(1).max(12).default(['csat', 'nps', 'fcr', 'complaint_rate']),
    filters: z
      .partialRecord(z.enum(DIMENSIONS), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]))
      .default({})
      .transform((f) =>
        Object.fromEntries(Object.entries(f).map(([d, v]) => [d, Array.isArray(v) ? v : [v]])),
      ),
    formats: z.array(z.enum(FORMATS)).min(1).default(['html', 'pdf']),
    email: z
      .object({
        to: z.array(email).min(1),
        cc: z.array(email).default([]),
        subject: z.string().min(1).max(200).optional(),
      })
      .strict()
      .optional(),
    webhook: z
      .object({ url: z.url({ protocol: /^https?$/ }) })
      .strict()
      .optional(),
    directory: z
      .object({ path: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict()
  .refine((r) => r.email || r.webhook || r.directory, {
    message: 'needs at least one of email, webhook, directory',
  });

const FileSchema = z
  .object({ reports: z.array(ReportSchema).default([]) })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.reports.forEach((r, i) => {
      if (seen.has(r.name))
        ctx.addIssue({ code: 'custom', path: ['reports', i, 'name'], message: `${r.name} is defined twice` });
      seen.add(r.name);
    });
  });

export interface ReportDefinition {
  name: string;
  title: string;
  /** the language the report is written in (the definition's, else CXPULSE_LOCALE) */
  locale: Locale;
  schedule: { cron: string; timezone: string };
  period: PeriodKind;
  sections: Section[];
  trends: string[];
  filters: Partial<Record<Dimension, string[]>>;
  formats: Format[];
  email?: { to: string[]; cc: string[]; subject?: string };
  webhook?: { url: string };
  directory?: { path: string };
}

/** What a definition takes from the configuration when it says nothing: CXPULSE_TIMEZONE, CXPULSE_LOCALE. */
export interface DefinitionDefaults {
  timeZone: string;
  locale: Locale;
}

/** Validate parsed YAML (or an object written in TypeScript); `defaults` fill what a definition leaves out. */
export function parseDefinitions(
  input: unknown,
  defaults: DefinitionDefaults,
  source = 'reports',
): ReportDefinition[] {
  return checked(FileSchema, input, 'report_invalid', source).reports.map((r) => ({
    ...r,
    title: r.title ?? r.name,
    locale: r.locale ?? defaults.locale,
    schedule: { cron: r.schedule.cron, timezone: r.schedule.timezone ?? defaults.timeZone },
    filters: r.filters as Partial<Record<Dimension, string[]>>,
  }));
}

/** Read the definitions file; a missing file is no reports, a broken one is an error naming the problem. */
export function loadDefinitions(file: string, defaults: DefinitionDefaults): ReportDefinition[] {
  const doc = readYamlFile(file, 'report_invalid');
  return doc === undefined ? [] : parseDefinitions(doc, defaults, file);
}
