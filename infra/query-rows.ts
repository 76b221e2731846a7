import type { ClickHouseClient } from './clickhouse.ts';

/**
 * The rows of a query as objects keyed by column name, read as one `JSONCompact` document: one
 * `JSON.parse` of the whole answer instead of one per row (`JSONEachRow`). The values are the same
 * (64-bit integers as strings); for tens of thousands of rows (a day × agent × channel request at 50M:
 * 37,800) it takes a third less time.
 */
export async function queryRows<T>(
  ch: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONCompact' });
  const { meta, data } = (await rs.json()) as unknown as { meta: { name: string }[]; data: unknown[][] };
  const names = meta.map((c) => c.name);
  return data.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) row[names[i] as string] = values[i];
    return row as T;
  });
}
