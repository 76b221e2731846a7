import type { ClickHouseClient } from '../infra/clickhouse.ts';

/** Small helpers of the refresh job: one number or one column of strings from a query, scratch tables. */

export async function scalar(
  ch: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<number> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONCompactEachRow' });
  const [row] = await rs.json<[string | number]>();
  return Number(row?.[0] ?? 0);
}

/** The column `v` of every row. */
export async function strings(
  ch: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<string[]> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONEachRow' });
  return (await rs.json<{ v: string }>()).map((r) => r.v);
}

/** The database server's clock. */
export async function serverNow(ch: ClickHouseClient): Promise<Date> {
  return new Date(await scalar(ch, 'SELECT toUnixTimestamp64Milli(now64(3))'));
}

/** Create a scratch table like another (same engine unless given), dropped when the refresh ends. */
export type TempTable = (name: string, like: string, engine?: string) => Promise<string>;

/**
 * The scratch tables of one refresh, named `_refresh_<name>_<tag>`: `name(…)` reserves a name,
 * `table(…)` creates one like another table, `drop()` drops them all (never fails).
 */
export function scratch(ch: ClickHouseClient, db: string, tag: string) {
  const temp: string[] = [];
  const name = (n: string): string => {
    const t = `${db}._refresh_${n}_${tag}`;
    temp.push(t);
    return t;
  };
  const table: TempTable = async (n, like, engine) => {
    const t = name(n);
    await ch.command({ query: `CREATE TABLE ${t} AS ${like}${engine ? ` ENGINE = ${engine}` : ''}` });
    return t;
  };
  const drop = async (): Promise<void> => {
    for (const t of temp) await ch.command({ query: `DROP TABLE IF EXISTS ${t}` }).catch(() => undefined);
  };
  return { name, table, drop };
}
export type Scratch = ReturnType<typeof scratch>;
