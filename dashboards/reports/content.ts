import type { Locale } from '../../i18n/locales.ts';
import type { CentreNames } from '../../i18n/translator.ts';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { addDays, dayCount, localDate } from '../../infra/time.ts';
import { answerMetric, type MetricRow } from '../../metrics/answer/metric.ts';
import { complaintFunnel } from '../../metrics/answer/explore.ts';
import { listChanges } from '../../metrics/answer/changes.ts';
import { definitionVersions } from '../../metrics/answer/definitions.ts';
import { changeImpact, type Impact } from '../../metrics/answer/impact.ts';
import { computeOverview, previousPeriod, type OverviewTile } from '../../metrics/answer/overview.ts';
import { metricQuery, parseMetricRequest } from '../../metrics/query/parse.ts';
import type { Grain } from '../../metrics/query/request.ts';
import { retentionDrivers, type RetentionDrivers } from '../../metrics/answer/retention.ts';
import { computeStandards, type ClauseRow } from '../../metrics/answer/standards.ts';
import { targetsInForce } from '../../metrics/answer/targets-in-force.ts';
import type { Dimension, MetricDefinition } from '../../metrics/types.ts';
import type { MetricInfo } from '../wire.ts';
import type { ReportDefinition } from './definitions.ts';
import type { Period } from './period.ts';

/**
 * What a report says, gathered through the same functions that answer the API (`/api/v1/overview`,
 * `/api/v1/metrics/{name}`, `/api/v1/complaints/funnel`, `/api/v1/retention/drivers`,
 * `/api/v1/changes/{id}/impact`), so a report's numbers are the dashboards' numbers for the same period
 * and filters.
 */

/** A KPI as a report names it: the catalog entry's name and title, its unit, its absolute target. */
export type ReportMetric = Pick<MetricInfo, 'name' | 'title'> & {
  unit: MetricDefinition['unit'];
  target: number | null;
};

export interface ReportData {
  report: string;
  title: string;
  /** the recipients' language, and the centre's names of segments, teams, agents and regions */
  locale: Locale;
  names: CentreNames;
  period: Period;
  previous: Period;
  filters: Partial<Record<Dimension, string[]>>;
  timeZone: string;
  generatedAt: Date;
  completeThrough: Date;
  kpis?: OverviewTile[];
  trends?: {
    metric: ReportMetric;
    grain: Grain;
    rows: MetricRow[];
    /** the local days in the period the KPI's definition or targets changed (marked on its chart) */
    definitionChanges?: { day: string; what: string }[];
  }[];
  complaints?: {
    funnel: { stage: string; count: number }[];
    followUp: MetricRow & { metric: ReportMetric };
    rate: MetricRow & { metric: ReportMetric };
  };
  sla?: { metric: ReportMetric; rows: MetricRow[] };
  /** CSAT per team and per agent (the survey's attributed team and agent), judged by the targets in force */
  teams?: { metric: ReportMetric; teams: MetricRow[]; agents: MetricRow[] };
  retention?: RetentionDrivers;
  changes?: Impact[];
  /** the standards scorecard: one row per clause, and the baseline period of its relative targets */
  standards?: { rows: ClauseRow[]; baseline: Period };
  /** links people follow from the report */
  links: { dashboard: string; history: string };
}

/** The changes considered by a report: started within this many days before its period ends. */
export const CHANGE_LOOKBACK_DAYS = 90;

export async function gatherReport(
  client: ClickHouseClient,
  cfg: Config,
  def: ReportDefinition,
  period: Period,
): Promise<ReportData> {
  const inForce = await targetsInForce(client, cfg);
  const g = gathering(client, cfg, def, period, inForce.catalog);
  const has = (s: ReportDefinition['sections'][number]) => def.sections.includes(s);
  if (has('kpis')) {
    const o = await computeOverview(client, cfg, { ...period, filters: def.filters }, inForce);
    g.data.kpis = o.tiles;
    if (o.completeThrough < g.completeThrough) g.completeThrough = o.completeThrough;
  }
  if (has('trends')) {
    g.data.trends = [];
    const versions = await definitionVersions(client, cfg);
    for (const name of def.trends) {
      const { m, rows } = await g.answer(name, g.grain);
      const definitionChanges = (versions.get(name)?.changes ?? [])
        .map((c) => ({ day: localDate(new Date(c.at), cfg.timeZone), what: c.what }))
        .filter((c) => c.day >= period.from && c.day <= period.to);
      g.data.trends.push({ metric: info(m), grain: g.grain, rows, definitionChanges });
    }
  }
  if (has('complaints')) {
    g.data.complaints = {
      funnel: await complaintFunnel(client, cfg, { ...period, filters: def.filters }),
      followUp: await g.total('follow_up_48h'),
      rate: await g.total('complaint_rate'),
    };
  }
  if (has('sla')) {
    const { m, rows } = await g.answer('sla_compliance', 'total', ['channel']);
    g.data.sla = { metric: info(m), rows };
  }
  if (has('teams')) {
    const { m, rows: teams } = await g.answer('csat', 'total', ['team_id']);
    const { rows: agents } = await g.answer('csat', 'total', ['agent_id']);
    g.data.teams = { metric: info(m), teams, agents };
  }
  if (has('retention')) {
    // as GET /api/v1/retention/drivers: the 90 days that ended a horizon before the period's end, so
    // every customer in it has had the whole horizon to churn
    const to = addDays(period.to, -90);
    g.data.retention = await retentionDrivers(client, cfg, { from: addDays(to, -89), to });
  }
  if (has('changes')) g.data.changes = await changeImpacts(g);
  if (has('standards')) {
    const { targets, baseline } = inForce;
    const s = await computeStandards(client, cfg, { ...period, filters: def.filters }, targets, baseline);
    g.data.standards = { rows: s.rows, baseline };
    if (s.completeThrough < g.completeThrough) g.completeThrough = s.completeThrough;
  }
  g.data.completeThrough = g.completeThrough;
  return g.data;
}

/** A report being gathered: its request, the data so far and the readers its sections share. */
interface Gathering {
  client: ClickHouseClient;
  cfg: Config;
  def: ReportDefinition;
  period: Period;
  /** the trends' grain: days up to 45 days, weeks up to 200, then months */
  grain: Grain;
  data: ReportData;
  /** the earliest "complete through" of the answers read */
  completeThrough: Date;
  /** a KPI by `grainOf` (and `by`), with the report's filters it can take */
  answer: (
    name: string,
    grainOf: Grain,
    by?: Dimension[],
  ) => Promise<{ m: MetricDefinition; rows: MetricRow[] }>;
  /** the period's total of a KPI: the overview's tile when the report has one, else its own query */
  total: (name: string) => Promise<MetricRow & { metric: ReportMetric }>;
}

/** `defs`: the catalog with the targets in force (answer/targets-in-force.ts). */
function gathering(
  client: ClickHouseClient,
  cfg: Config,
  def: ReportDefinition,
  period: Period,
  defs: readonly MetricDefinition[],
): Gathering {
  const catalog = new Map(defs.map((m) => [m.name, m]));
  const metric = (name: string): MetricDefinition => {
    const m = catalog.get(name);
    if (!m) throw new Error(`no metric ${name}`);
    return m;
  };
  // a filter a KPI cannot take (a team for a survey KPI) is left out for that KPI, as the overview does
  const filtersFor = (m: MetricDefinition) =>
    Object.fromEntries(
      Object.entries(def.filters).filter(([d]) => m.dimensions.includes(d as Dimension)),
    ) as Partial<Record<Dimension, string[]>>;
  const days = dayCount(period.from, period.to);
  const grain: Grain = days <= 45 ? 'day' : days <= 200 ? 'week' : 'month';
  const completeThrough = new Date();
  const g: Gathering = {
    client,
    cfg,
    def,
    period,
    grain,
    completeThrough,
    data: {
      report: def.name,
      title: def.title,
      locale: def.locale,
      names: { segments: cfg.vocabulary.segments, display_names: cfg.vocabulary.displayNames },
      period,
      previous: previousPeriod(period.from, period.to),
      filters: def.filters,
      timeZone: cfg.timeZone,
      generatedAt: new Date(),
      completeThrough,
      links: {
        dashboard: `${cfg.publicUrl}/overview?${dashboardQuery(period, def.filters)}`,
        history: `${cfg.publicUrl}/reports`,
      },
    },
    answer: async (name, grainOf, by = []) => {
      const m = metric(name);
      const query = metricQuery({ ...period, grain: grainOf, by, filters: filtersFor(m) });
      const a = await answerMetric(client, cfg, m, parseMetricRequest(query, cfg.timeZone));
      if (a.completeThrough < g.completeThrough) g.completeThrough = a.completeThrough;
      return { m, rows: a.rows };
    },
    total: async (name) => {
      const tile = g.data.kpis?.find((t) => t.metric === name);
      if (tile) return { ...tile.current, metric: info(metric(name)) };
      const { m, rows } = await g.answer(name, 'total');
      const row = rows[0] ?? emptyRow(m);
      return { ...row, metric: info(m) };
    },
  };
  return g;
}

const info = (m: MetricDefinition): ReportMetric => ({
  name: m.name,
  title: m.title,
  unit: m.unit,
  target: m.target?.basis === 'absolute' ? m.target.value : null,
});

/** The impact on each trend KPI of the changes that started in the lookback and overlap the filters. */
async function changeImpacts({ client, cfg, def, period }: Gathering): Promise<Impact[]> {
  const changes: Impact[] = [];
  const since = addDays(period.to, -CHANGE_LOOKBACK_DAYS);
  for (const change of await listChanges(client, cfg)) {
    const day = localDate(new Date(change.starts_at), cfg.timeZone);
    if (day < since || day > period.to || !overlaps(change.scope, def.filters)) continue;
    for (const name of def.trends) changes.push(await changeImpact(client, cfg, change, { metric: name }));
  }
  return changes;
}

function emptyRow(m: MetricDefinition): MetricRow {
  return {
    period: 'total',
    value: null,
    n: 0,
    ci_low: null,
    ci_high: null,
    target: m.target?.basis === 'absolute' ? m.target.value : null,
    status: null,
    low_confidence: true,
  };
}

/** A change applies to a report unless they name different values of the same dimension. */
function overlaps(
  scope: Partial<Record<Dimension, string[]>>,
  filters: Partial<Record<Dimension, string[]>>,
): boolean {
  return Object.entries(filters).every(([d, values]) => {
    const s = scope[d as Dimension];
    return !s || s.length === 0 || s.some((v) => values.includes(v));
  });
}

function dashboardQuery(period: Period, filters: Partial<Record<Dimension, string[]>>): string {
  return new URLSearchParams(metricQuery({ ...period, filters })).toString();
}
