import { clickHouseTime } from '../../infra/time.ts';
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { CxError } from '../../infra/errors.ts';
import { ID_RE, validateInput, type ProcessChange, type SaveChangeInput } from '../query/change-input.ts';
import type { Dimension } from '../types.ts';

/**
 * Process-change annotations (docs/metrics.md, "Process-change impact"): the improvement teams annotate a
 * change — when it started, which part of the service it touched. They live in `process_changes`
 * (migration 004), one row per saved version; the latest version of an id is the change. The input
 * is validated by metrics/query/change-input.ts.
 */

export type { ProcessChange, SaveChangeInput };

/** ClickHouse's DateTime64 text in UTC: what a JSONEachRow insert into DateTime64(3, 'UTC') parses. */

interface StoredRow {
  id: string;
  title: string;
  description: string;
  starts_at_ms: string | number;
  scope: string;
  created_by: string;
  created_at_ms: string | number;
  updated_by: string;
  updated_at_ms: string | number;
  version: string | number;
}

const isoOfMs = (ms: string | number): string => new Date(Number(ms)).toISOString();

function fromStored(r: StoredRow): ProcessChange {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    starts_at: isoOfMs(r.starts_at_ms),
    scope: JSON.parse(r.scope) as Partial<Record<Dimension, string[]>>,
    created_by: r.created_by,
    created_at: isoOfMs(r.created_at_ms),
    updated_by: r.updated_by,
    updated_at: isoOfMs(r.updated_at_ms),
    version: Number(r.version),
  };
}

/** Epoch milliseconds rather than DateTime64 text, so the output format settings cannot change them. */
const SELECT_CHANGES = (db: string) => `
  SELECT id, title, description, toUnixTimestamp64Milli(starts_at) AS starts_at_ms, scope,
         created_by, toUnixTimestamp64Milli(created_at) AS created_at_ms,
         updated_by, toUnixTimestamp64Milli(updated_at) AS updated_at_ms, version
  FROM ${db}.process_changes FINAL`;

async function readChanges(client: ClickHouseClient, cfg: Config, id?: string): Promise<ProcessChange[]> {
  const db = cfg.clickhouse.database;
  const rs = await client.query({
    query:
      id === undefined
        ? `${SELECT_CHANGES(db)} ORDER BY starts_at DESC, id`
        : `${SELECT_CHANGES(db)} WHERE id = {id:String}`,
    query_params: id === undefined ? {} : { id },
    format: 'JSONEachRow',
  });
  return (await rs.json<StoredRow>()).map(fromStored);
}

/**
 * Create a change, or save a new version of one (see {@link SaveChangeInput}). Throws `bad_parameter`
 * naming the field (`title`, `starts_at`, `scope.<key>`, …).
 */
export async function saveChange(
  client: ClickHouseClient,
  cfg: Config,
  input: SaveChangeInput,
): Promise<ProcessChange> {
  const v = validateInput(input);
  const prev = v.id === undefined ? undefined : (await readChanges(client, cfg, v.id))[0];
  const now = new Date();
  const change: ProcessChange = {
    id: v.id ?? randomUUID(),
    title: v.title,
    description: v.description ?? prev?.description ?? '',
    starts_at: v.starts_at,
    scope: v.scope ?? prev?.scope ?? {},
    created_by: prev?.created_by ?? v.user,
    created_at: prev?.created_at ?? now.toISOString(),
    updated_by: v.user,
    updated_at: now.toISOString(),
    // Above the previous version even if two saves share a millisecond or the clock went back.
    version: Math.max(now.getTime(), (prev?.version ?? 0) + 1),
  };
  await client.insert({
    table: `${cfg.clickhouse.database}.process_changes`,
    values: [
      {
        ...change,
        scope: JSON.stringify(change.scope),
        starts_at: clickHouseTime(change.starts_at),
        created_at: clickHouseTime(change.created_at),
        updated_at: clickHouseTime(change.updated_at),
      },
    ],
    format: 'JSONEachRow',
  });
  return change;
}

/** Every change, latest version of each, newest start first. */
export async function listChanges(client: ClickHouseClient, cfg: Config): Promise<ProcessChange[]> {
  return readChanges(client, cfg);
}

/** The latest version of one change; `not_found` when there is none. */
export async function getChange(client: ClickHouseClient, cfg: Config, id: string): Promise<ProcessChange> {
  const [change] = typeof id === 'string' && ID_RE.test(id) ? await readChanges(client, cfg, id) : [];
  if (!change) throw new CxError('not_found', `no process change with id ${JSON.stringify(id)}`);
  return change;
}
