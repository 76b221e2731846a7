import enAlerts from './locales/en/alerts.json' with { type: 'json' };
import enCharts from './locales/en/charts.json' with { type: 'json' };
import enCommon from './locales/en/common.json' with { type: 'json' };
import enErrors from './locales/en/errors.json' with { type: 'json' };
import enMetrics from './locales/en/metrics.json' with { type: 'json' };
import enPages from './locales/en/pages.json' with { type: 'json' };
import enReports from './locales/en/reports.json' with { type: 'json' };
import enVocabulary from './locales/en/vocabulary.json' with { type: 'json' };
import zhAlerts from './locales/zh-CN/alerts.json' with { type: 'json' };
import zhCharts from './locales/zh-CN/charts.json' with { type: 'json' };
import zhCommon from './locales/zh-CN/common.json' with { type: 'json' };
import zhErrors from './locales/zh-CN/errors.json' with { type: 'json' };
import zhMetrics from './locales/zh-CN/metrics.json' with { type: 'json' };
import zhPages from './locales/zh-CN/pages.json' with { type: 'json' };
import zhReports from './locales/zh-CN/reports.json' with { type: 'json' };
import zhVocabulary from './locales/zh-CN/vocabulary.json' with { type: 'json' };
import type { Locale } from './locales.ts';

/**
 * The message catalogues: one per language (`locales/<language>/`), in namespaces by who reads them —
 * `common` (the frame of every page: navigation, filters, panels, states, units, statuses), `pages` (each
 * page's own words), `charts` (axis, legend and tooltip titles), `metrics` (each KPI's title,
 * description and formula), `vocabulary` (the contract's values: channels, categories, priorities,
 * severities …), `reports` (report text and email subjects), `errors` (an error code as a person reads
 * it), `alerts` (alert notifications: titles, facts, summaries). Messages use i18next's syntax: `{{name}}` interpolation, `_one`/`_other` plurals.
 */

export const NAMESPACES = [
  'common',
  'pages',
  'charts',
  'metrics',
  'vocabulary',
  'reports',
  'errors',
  'alerts',
] as const;
export type Namespace = (typeof NAMESPACES)[number];

/** A namespace's messages: nested objects of strings. */
export interface Messages {
  [key: string]: string | Messages;
}

export const CATALOGUES: Record<Locale, Record<Namespace, Messages>> = {
  en: {
    common: enCommon,
    pages: enPages,
    charts: enCharts,
    metrics: enMetrics,
    vocabulary: enVocabulary,
    reports: enReports,
    errors: enErrors,
    alerts: enAlerts,
  },
  'zh-CN': {
    common: zhCommon,
    pages: zhPages,
    charts: zhCharts,
    metrics: zhMetrics,
    vocabulary: zhVocabulary,
    reports: zhReports,
    errors: zhErrors,
    alerts: zhAlerts,
  },
};
