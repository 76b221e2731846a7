import { type SeriesRow } from '../charts/base.ts';
import { barsSpec } from '../charts/groups.ts';
import { trendSpec, type Annotation } from '../charts/time.ts';
import type {
  ChangeList,
  MetricAnswer,
  MetricCatalog,
  MetricInfo,
  ProcessChange,
  SlaPolicy,
} from '../wire.ts';
import { dayCount, localDate } from '../../infra/time.ts';
import { has, num, t, translatorNow } from './i18n.ts';
import { api, filterParams, panel, setFreshness, type Filters } from './ui.ts';

/**
 * What the KPI pages share: the catalog (fetched once per page view), the process changes as chart
 * annotations, the words of a KPI (title, unit) in the reader's language, and the two KPI panels every
 * page uses — a trend and bars per group.
 */

let catalog: Map<string, MetricInfo> | undefined;
let policy: SlaPolicy | undefined;

/** The catalog as another answer brought it (the overview page's): no request of its own. */
export function useCatalog(r: MetricCatalog): void {
  catalog = new Map(r.metrics.map((m) => [m.name, m]));
  policy = r.policy;
}

export async function metricInfo(name: string): Promise<MetricInfo> {
  if (!catalog) useCatalog(await api<MetricCatalog>('/api/v1/metrics'));
  const m = catalog?.get(name);
  if (!m) throw new Error(t('common:kpi.unknownMetric', { name }));
  return m;
}

/** The service-level policy served with the catalog. */
export async function slaPolicy(): Promise<SlaPolicy | undefined> {
  if (!catalog) await metricInfo('first_response_time');
  return policy;
}

/** A KPI's title in the reader's language (the catalog's English title where the catalogue has none). */
export function metricTitle(m: { name: string; title: string }): string {
  const key = `metrics:${m.name}.title`;
  return has(key) ? t(key) : m.title;
}

/** How a unit is written next to a value or on an axis. */
export function unitWord(unit: string): string {
  const key = `common:units.${unit}`;
  return has(key) ? t(key) : unit;
}

/** "CSAT by team": a KPI's title per group. */
export function byTitle(m: { name: string; title: string }, by: string): string {
  const key = `common:dimensionInText.${by}`;
  const dimension = has(key) ? t(key) : by.replace('_id', '');
  return t('common:kpi.byDimension', { metric: metricTitle(m), dimension });
}

let annotationsOnce: Promise<Annotation[]> | undefined;
/** The process changes as chart annotations, fetched once per page view. */
export function changesAnnotations(): Promise<Annotation[]> {
  annotationsOnce ??= api<ChangeList>('/api/v1/changes')
    .then((r) => r.changes.map(asAnnotation))
    .catch(() => []);
  return annotationsOnce;
}

const asAnnotation = (c: ProcessChange): Annotation => ({ date: c.starts_at.slice(0, 10), title: c.title });

/** The process changes as another answer brought them (the overview page's): no request of its own. */
export function useChanges(changes: ProcessChange[]): void {
  annotationsOnce = Promise.resolve(changes.map(asAnnotation));
}

/** The dates a KPI's definition or targets changed, as annotations on its local day. */
export function definitionAnnotations(m: MetricInfo): Annotation[] {
  const tz = document.body.dataset['tz'] ?? 'UTC';
  return (m.definition_changes ?? []).map((c) => ({
    date: localDate(new Date(c.at), tz),
    title: t(`charts:definitionChange.${c.what}`),
  }));
}

/** Forget the annotations (the filters changed): the next panel fetches them again. */
export function resetAnnotations(): void {
  annotationsOnce = undefined;
}

/** A KPI's trend panel: line, CI band, target rule, process-change annotations; drill by period. */
export async function trendPanel(
  f: Filters,
  name: string,
  opts: { by?: string; grain?: string; wide?: boolean; preloaded?: MetricAnswer } = {},
): Promise<HTMLElement> {
  const m = await metricInfo(name);
  const params = filterParams(f, m.dimensions);
  // the overview page's one answer (routes/overview.ts) uses the same rule
  const grain = opts.grain ?? (daysOf(f) <= 45 ? 'day' : 'week');
  params.set('grain', grain);
  if (opts.by) params.set('by', opts.by);
  const annotations = [...(await changesAnnotations().catch(() => [])), ...definitionAnnotations(m)].filter(
    (a) => a.date >= f.from && a.date <= f.to,
  );
  return panel<SeriesRow>({
    title: opts.by ? byTitle(m, opts.by) : metricTitle(m),
    source: { path: `/api/v1/metrics/${name}`, params, preloaded: preloadedBody(opts.preloaded) },
    sql: { metric: name, params },
    wide: opts.wide,
    onBody: (b) => setFreshness(b['complete_through'] as string, b['time_zone'] as string),
    spec: (rows) =>
      trendSpec({
        title: '',
        unit: unitWord(m.unit),
        rows,
        by: opts.by,
        target: m.target?.basis === 'absolute' ? m.target.value : null,
        annotations,
        tr: translatorNow(),
      }),
    drill: (d) => {
      const p = filterParams(f, m.dimensions);
      if (typeof d['period'] !== 'number' && typeof d['period'] !== 'string') return null;
      const period =
        typeof d['period'] === 'number' ? new Date(d['period']).toISOString().slice(0, 10) : d['period'];
      p.set('period', period);
      p.set('grain', grain);
      p.set('metric', name);
      if (opts.by && typeof d[opts.by] === 'string') p.set(opts.by, d[opts.by] as string);
      return m.dimensions.includes('agent_id') ? p : null;
    },
  });
}

/** Bars per group with CIs (sorted by name); drill to the group's interactions. */
export async function barsPanel(
  f: Filters,
  name: string,
  by: string,
  opts: { horizontal?: boolean; wide?: boolean; title?: string; preloaded?: MetricAnswer } = {},
) {
  const m = await metricInfo(name);
  const params = filterParams(f, m.dimensions);
  params.set('grain', 'total');
  params.set('by', by);
  return panel<SeriesRow>({
    title: opts.title ?? byTitle(m, by),
    description: t('common:kpi.barsDescription'),
    source: { path: `/api/v1/metrics/${name}`, params, preloaded: preloadedBody(opts.preloaded) },
    sql: { metric: name, params },
    wide: opts.wide,
    spec: (rows) =>
      barsSpec({
        title: '',
        unit: unitWord(m.unit),
        rows,
        by,
        horizontal: opts.horizontal,
        target: m.target?.basis === 'absolute' ? m.target.value : null,
        tr: translatorNow(),
      }),
    columns: [by, 'value', 'ci_low', 'ci_high', 'n', 'low_confidence', 'target', 'status'],
    drill: (d) => {
      if (!m.dimensions.includes('agent_id') || typeof d[by] !== 'string') return null;
      const p = filterParams(f, m.dimensions);
      p.set(by, d[by] as string);
      p.set('metric', name);
      return p;
    },
  });
}

export const daysOf = (f: Filters) => dayCount(f.from, f.to);

const preloadedBody = (b: MetricAnswer | undefined) =>
  b ? (b as unknown as Record<string, unknown>) : undefined;

/** A p-value as the pages write it. */
export const fmtP = (p: number | null) =>
  p === null
    ? '–'
    : p < 0.001
      ? `< ${num(0.001)}`
      : num(p, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
