import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection, type ChdbConnection } from 'chdb/connection';
import type { Config } from './config.ts';

export type { ClickHouseClient };

/**
 * The one place that knows the two ClickHouse modes: a server over HTTP(S) when `CLICKHOUSE_URL` is set,
 * otherwise the engine in-process (chDB) on a data directory. Everything else speaks `@clickhouse/client`.
 *
 * chDB keeps per-query settings on its connection (a `readonly` query makes later inserts fail), so code
 * that runs untrusted or settings-changing queries must ask for its own client: each call here opens a
 * separate connection.
 */
export function createClickHouse(cfg: Config['clickhouse']): ClickHouseClient {
  if (cfg.url) {
    return createClient({
      url: cfg.url,
      username: cfg.user,
      password: cfg.password,
      database: cfg.database,
      request_timeout: cfg.requestTimeoutMs,
      compression: { request: false, response: true },
    });
  }
  mkdirSync(cfg.chdbPath, { recursive: true });
  const chdb = createChdbConnection({ path: cfg.chdbPath });
  // chdb types its connection against its own copy of @clickhouse/client-common; the shapes are the same.
  const connection = chdb as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection });
  embedded.set(client, chdb);
  return client;
}

const embedded = new WeakMap<ClickHouseClient, ChdbConnection>();

/**
 * Insert rows already serialized as JSONEachRow lines, the ingest hot path. On a server this is one
 * HTTP request with the lines as its body; in-process it hands the bytes to chDB's native insert,
 * which parses them in parallel (the generic connection would paste them into the SQL text and parse
 * them on one thread, at about half the speed).
 */
export async function insertJsonLines(
  client: ClickHouseClient,
  table: string,
  body: Buffer,
  settings: Record<string, string | number>,
): Promise<void> {
  const chdb = embedded.get(client);
  if (chdb) {
    await chdb.chdb.rawInsert({ table, values: body, format: 'JSONEachRow', settings });
    return;
  }
  const res = await client.exec({
    query: `INSERT INTO ${table} FORMAT JSONEachRow`,
    values: Readable.from([body]),
    clickhouse_settings: settings,
  });
  // Free the response (an HTTP socket).
  for await (const _ of res.stream) void _;
}

/** True for the embedded engine, whose data directory only one process may hold. */
export function isEmbedded(cfg: Config['clickhouse']): boolean {
  return !cfg.url;
}
