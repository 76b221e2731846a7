import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { CATALOG } from '../../metrics/catalog.ts';
import { TARGET_PASSED_SQL } from '../../metrics/query/facts.ts';
import { histogramSql, rowKeySql } from '../../metrics/query/histogram.ts';
import { groupingSets, inDailyRollup } from '../../metrics/query/rollup-sets.ts';
import type { RollupState } from '../../metrics/query/rollup-state.ts';
import { DIMENSIONS, type MetricDefinition } from '../../metrics/types.ts';
import { strings, type TempTable } from '../sql.ts';

/**
 * The daily rollups (`kpi_daily`): per local day, grouping set (metrics/query/rollup-sets.ts) and
 * metric, the additive aggregates x, n, s2, pro, det over the stored facts, and for quantile metrics the
 * histogram qk, qc (metrics/query/histogram.ts) — sums, so that a week or a month is a sum of days
 * (metrics/query/value.ts turns the sums into values).
 */

const NO_HISTOGRAM = 'CAST([] AS Array(Int32)), CAST([] AS Array(UInt64))';

/** The per-row column holding the bucket key of the i-th metric's value (quantile metrics). */
const keyColumn = (i: number): string => `qkey${i}`;

/** The additive aggregates of the i-th metric over the facts: x, n, s2, pro, det, qk, qc. */
function additive(m: MetricDefinition, i: number): string {
  if (m.kind !== 'quantile') return `${sums(m)}, ${NO_HISTOGRAM}`;
  const h = histogramSql(keyColumn(i), m.sql.where as string);
  return `${sums(m)}, tupleElement(${h}, 1), tupleElement(${h}, 2)`;
}

/** x, n, s2, pro, det of one metric. */
function sums(m: MetricDefinition): string {
  const { numerator, denominator, value, where } = m.sql;
  switch (m.kind) {
    case 'rate':
      return `toFloat64(countIf((${denominator}) AND (${numerator}))), countIf(${denominator}), 0., 0, 0`;
    case 'count':
      return `toFloat64(countIf(${where})), countIf(${where}), 0., 0, 0`;
    case 'mean':
    case 'quantile':
      return `sumIf(toFloat64(${value}), ${where}), countIf(${where}), sumIf(toFloat64(${value}) * toFloat64(${value}), ${where}), 0, 0`;
    case 'nps':
      return `0., countIf(${where}), 0., countIf((${where}) AND ${value} >= 9), countIf((${where}) AND ${value} <= 6)`;
  }
}

/** INSERT … SELECT of the daily rollup rows of one source for the days {days:Array(Date)}. */
export function dailyRollupInsert(
  db: string,
  target: string,
  source: 'interactions' | 'surveys',
  catalog: readonly MetricDefinition[],
): string | null {
  const metrics = catalog.filter((m) => m.source === source && inDailyRollup(m));
  if (metrics.length === 0) return null;
  const dims = [...DIMENSIONS];
  const keys = metrics.flatMap((m, i) =>
    m.kind === 'quantile' ? [`, ${rowKeySql(m.sql.value as string)} AS ${keyColumn(i)}`] : [],
  );
  const facts =
    source === 'interactions'
      ? `SELECT *, ${TARGET_PASSED_SQL} AS target_passed${keys.join('')} FROM ${db}.interaction_kpi FINAL WHERE day IN {days:Array(Date)}`
      : `SELECT *${keys.join('')} FROM ${db}.survey_kpi FINAL WHERE day IN {days:Array(Date)}`;
  // grouping(d1..dk) has bit (k-1-j) set when dj is NOT in the row's grouping set
  const g = `grouping(${dims.join(', ')})`;
  const gs = dims
    .map((d, j) => `if(bitTest(${g}, ${dims.length - 1 - j}), 0, ${1 << DIMENSIONS.indexOf(d)})`)
    .join(' + ');
  const sets = groupingSets(source)
    .map((s) => `(${['day', ...s].join(', ')})`)
    .join(', ');
  const aggs = metrics.map((m, i) => `tuple('${m.name}', ${additive(m, i)}) AS a${i}`).join(',\n        ');
  return `
    INSERT INTO ${target} (metric, gs, day, ${DIMENSIONS.join(', ')}, x, n, s2, pro, det, qk, qc)
    SELECT tupleElement(m, 1), gs, day, ${DIMENSIONS.join(', ')},
           tupleElement(m, 2), tupleElement(m, 3), tupleElement(m, 4), tupleElement(m, 5), tupleElement(m, 6),
           tupleElement(m, 7), tupleElement(m, 8)
    FROM (
      SELECT day, toUInt16(${gs}) AS gs, ${dims.join(', ')},
        ${aggs}
      FROM (${facts})
      GROUP BY GROUPING SETS (${sets})
    )
    ARRAY JOIN [${metrics.map((_, i) => `a${i}`).join(', ')}] AS m
    WHERE tupleElement(m, 3) > 0
    SETTINGS max_partitions_per_insert_block = 0`;
}

/**
 * The days to rebuild besides those whose facts changed: on a full rebuild every day of the facts and
 * the rollups; otherwise the days of unanswered interactions whose response target may have passed
 * between the previous judgement and this one. `prev` is null to rebuild every day.
 */
export async function daysToRebuild(
  ch: ClickHouseClient,
  cfg: Config,
  prev: RollupState | null,
  evaluatedAt: Date,
): Promise<string[]> {
  const db = cfg.clickhouse.database;
  if (prev === null) {
    const days: string[] = [];
    for (const t of ['interaction_kpi', 'survey_kpi', 'kpi_daily'])
      days.push(...(await strings(ch, `SELECT DISTINCT toString(day) AS v FROM ${db}.${t}`)));
    return days;
  }
  const maxTarget = Math.max(...Object.values(cfg.policy.firstResponseSeconds), cfg.policy.urgentSeconds);
  const first = Math.min(prev.evaluatedAt.getTime(), evaluatedAt.getTime());
  const last = Math.max(prev.evaluatedAt.getTime(), evaluatedAt.getTime());
  return strings(
    ch,
    `SELECT DISTINCT toString(day) AS v FROM ${db}.interaction_kpi
     WHERE day BETWEEN toDate(fromUnixTimestamp64Milli({a:Int64}), {tz:String}) - 1
                   AND toDate(fromUnixTimestamp64Milli({b:Int64}), {tz:String}) + 1`,
    { a: first - maxTarget * 1000, b: last, tz: cfg.timeZone },
  );
}

/**
 * Rebuild the daily rollups of these days. The new rows of the days and the kept rows of the other days
 * of their months are staged, then each month's partition is replaced at once: a reader sees the old
 * month or the new one, never a mix.
 */
export async function rebuildDays(
  ch: ClickHouseClient,
  db: string,
  days: string[],
  params: Record<string, unknown>,
  tempTable: TempTable,
): Promise<number> {
  if (days.length === 0) return 0;
  const stage = await tempTable('daily', `${db}.kpi_daily`);
  for (let i = 0; i < days.length; i += 31) {
    const batch = days.slice(i, i + 31);
    for (const source of ['interactions', 'surveys'] as const) {
      const sql = dailyRollupInsert(db, stage, source, CATALOG);
      if (sql) await ch.command({ query: sql, query_params: { ...params, days: batch } });
    }
  }
  const months = [...new Set(days.map((d) => d.slice(0, 7).replace('-', '')))];
  await ch.command({
    query: `INSERT INTO ${stage} SELECT * FROM ${db}.kpi_daily
            WHERE toYYYYMM(day) IN {months:Array(UInt32)} AND day NOT IN {days:Array(Date)}
            SETTINGS max_partitions_per_insert_block = 0`,
    query_params: { months: months.map(Number), days },
  });
  const staged = new Set(await strings(ch, `SELECT DISTINCT toString(toYYYYMM(day)) AS v FROM ${stage}`));
  for (const m of months) {
    await ch.command({
      query: staged.has(m)
        ? `ALTER TABLE ${db}.kpi_daily REPLACE PARTITION ID '${m}' FROM ${stage}`
        : `ALTER TABLE ${db}.kpi_daily DROP PARTITION ID '${m}'`,
    });
  }
  return days.length;
}
