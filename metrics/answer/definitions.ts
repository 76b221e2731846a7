import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { clickHouseTime } from '../../infra/time.ts';
import { CATALOG } from '../catalog.ts';
import type { BaselinePeriod, TargetSpec } from '../targets/types.ts';
import type { MetricDefinition } from '../types.ts';

/**
 * The definition versions of each KPI (`metric_definitions`, migration 009): a row when a KPI is first
 * seen, when its catalog definition changed since the last start (its fingerprint differs), when an
 * edit changed its targets or the baseline of its relative targets. A KPI's definition version is its
 * number of rows; every row after the first is a date the charts and reports mark.
 */

export type DefinitionWhat = 'initial' | 'definition' | 'targets' | 'baseline';

/** A date a KPI's definition or targets changed (`definition_changes` of the catalog). */
export interface DefinitionChange {
  /** ISO 8601, UTC */
  at: string;
  what: Exclude<DefinitionWhat, 'initial'>;
}

export interface DefinitionVersions {
  /** 1 for a KPI as first recorded, one more per change */
  version: number;
  changes: DefinitionChange[];
}

/**
 * What decides a KPI's numbers, hashed: kind, unit, source, direction, formula, SQL and complement.
 * Not the title or description (words), nor the targets (recorded on their own).
 */
export function definitionFingerprint(m: MetricDefinition): string {
  const decisive = {
    name: m.name,
    kind: m.kind,
    unit: m.unit,
    source: m.source,
    direction: m.direction,
    formula: m.formula,
    sql: [m.sql.numerator ?? '', m.sql.denominator ?? '', m.sql.value ?? '', m.sql.where ?? ''],
    complementOf: m.complementOf ?? '',
  };
  return createHash('sha256').update(JSON.stringify(decisive)).digest('hex').slice(0, 32);
}

interface Row {
  metric: string;
  at: string;
  what: DefinitionWhat;
  fingerprint: string;
  targets_version: number;
  changed_by: string;
}

async function insert(client: ClickHouseClient, cfg: Config, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({
    table: `${cfg.clickhouse.database}.metric_definitions`,
    values: rows.map((r) => ({ ...r, at: clickHouseTime(r.at) })),
    format: 'JSONEachRow',
  });
}

async function readRows(client: ClickHouseClient, cfg: Config): Promise<(Row & { at_ms: number })[]> {
  const rs = await client.query({
    query: `SELECT metric, toUnixTimestamp64Milli(at) AS at_ms, what, fingerprint, targets_version, changed_by
            FROM ${cfg.clickhouse.database}.metric_definitions ORDER BY metric, at`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<Row & { at_ms: string | number }>();
  return rows.map((r) => ({ ...r, at_ms: Number(r.at_ms), targets_version: Number(r.targets_version) }));
}

/**
 * At start-up: record each KPI not seen before, and each whose definition differs from the last
 * fingerprint recorded (with today's date). Returns the KPIs whose definition changed.
 */
export async function recordDefinitions(
  client: ClickHouseClient,
  cfg: Config,
  catalog: readonly MetricDefinition[] = CATALOG,
  now: Date = new Date(),
): Promise<string[]> {
  const last = new Map<string, string>();
  for (const r of await readRows(client, cfg)) last.set(r.metric, r.fingerprint);
  const rows: Row[] = [];
  for (const m of catalog) {
    const fingerprint = definitionFingerprint(m);
    const before = last.get(m.name);
    if (before === fingerprint) continue;
    const what = before === undefined ? 'initial' : 'definition';
    rows.push({
      metric: m.name,
      at: now.toISOString(),
      what,
      fingerprint,
      targets_version: 0,
      changed_by: '',
    });
  }
  await insert(client, cfg, rows);
  return rows.filter((r) => r.what === 'definition').map((r) => r.metric);
}

/** A KPI's targets in a form that compares equal when they mean the same. */
const targetsOf = (targets: readonly TargetSpec[], metric: string) =>
  JSON.stringify(
    targets
      .filter((t) => t.metric === metric)
      .map((t) => JSON.stringify(t, Object.keys(t).sort()))
      .sort(),
  );

/** After a saved edit: a row for each KPI whose targets changed, or whose relative targets' baseline did. */
export async function recordTargetChanges(
  client: ClickHouseClient,
  cfg: Config,
  edit: {
    before: { targets: readonly TargetSpec[]; baseline: BaselinePeriod | null };
    after: { targets: readonly TargetSpec[]; baseline: BaselinePeriod | null; version: number };
    by: string;
    at: string;
  },
): Promise<void> {
  const { before, after } = edit;
  const baselineMoved = JSON.stringify(before.baseline) !== JSON.stringify(after.baseline);
  const relative = new Set(
    [...before.targets, ...after.targets].filter((t) => t.kind === 'relative').map((t) => t.metric),
  );
  const rows: Row[] = [];
  for (const m of CATALOG) {
    const what =
      targetsOf(before.targets, m.name) !== targetsOf(after.targets, m.name)
        ? 'targets'
        : baselineMoved && relative.has(m.name)
          ? 'baseline'
          : null;
    if (!what) continue;
    rows.push({
      metric: m.name,
      at: edit.at,
      what,
      fingerprint: definitionFingerprint(m),
      targets_version: after.version,
      changed_by: edit.by,
    });
  }
  await insert(client, cfg, rows);
}

/**
 * Every KPI's definition version and the dates it changed. Two processes starting together may both
 * record the same fingerprint: a definition row repeating the one before it is counted once.
 */
export async function definitionVersions(
  client: ClickHouseClient,
  cfg: Config,
): Promise<Map<string, DefinitionVersions>> {
  const out = new Map<string, DefinitionVersions>();
  let prev: (Row & { at_ms: number }) | undefined;
  for (const r of await readRows(client, cfg)) {
    const first = prev?.metric !== r.metric;
    const repeat =
      !first && (r.what === 'initial' || r.what === 'definition') && prev?.fingerprint === r.fingerprint;
    prev = r;
    if (repeat) continue;
    const entry = out.get(r.metric) ?? { version: 0, changes: [] };
    entry.version += 1;
    if (r.what !== 'initial') entry.changes.push({ at: new Date(r.at_ms).toISOString(), what: r.what });
    out.set(r.metric, entry);
  }
  return out;
}
