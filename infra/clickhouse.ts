import { mkdirSync } from 'node:fs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
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
  // chdb types its connection against its own copy of @clickhouse/client-common; the shapes are the same.
  const connection = createChdbConnection({ path: cfg.chdbPath }) as unknown as NonNullable<
    Parameters<typeof createClient>[0]
  >['connection'];
  return createClient({ connection });
}

/** True for the embedded engine, whose data directory only one process may hold. */
export function isEmbedded(cfg: Config['clickhouse']): boolean {
  return !cfg.url;
}
