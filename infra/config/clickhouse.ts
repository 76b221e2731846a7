/** Keys of the ClickHouse store: a server, or the embedded engine in the data directory. */
import path from 'node:path';
import { z } from 'zod';
import { identifier, int, type KeyTable, type Values } from './keys.ts';

export const clickhouseKeys = {
  CLICKHOUSE_URL: {
    default: undefined,
    doc: 'ClickHouse server URL (`https://host:8443`). Unset: embedded chDB in `$CXPULSE_DATA_DIR/chdb`.',
    schema: z.url(),
  },
  CLICKHOUSE_USER: { default: 'default', doc: 'ClickHouse user (server mode).', schema: z.string() },
  CLICKHOUSE_PASSWORD: { default: '', doc: 'ClickHouse password (server mode).', schema: z.string() },
  CLICKHOUSE_DATABASE: {
    default: 'cxpulse',
    doc: 'Database holding every cxpulse table.',
    schema: identifier,
  },
  CLICKHOUSE_REQUEST_TIMEOUT_MS: {
    default: '60000',
    doc: 'Timeout of one ClickHouse request (server mode).',
    schema: int(1000, 3_600_000),
  },
  CLICKHOUSE_MAX_MEMORY_USAGE_MB: {
    default: '4096',
    doc: 'Memory one query of the server, the ingester or a refresh may take (`max_memory_usage`), in MiB; a query that needs more fails with `query_memory_limit`. Group-bys and sorts past half of it spill to disk. 0: no limit.',
    schema: int(0, 1_048_576),
  },
  CLICKHOUSE_MAX_THREADS: {
    default: '0',
    doc: 'Threads one query may use (`max_threads`). 0: the engine decides (the number of cores).',
    schema: int(0, 1024),
  },
  CLICKHOUSE_MAX_SERVER_MEMORY_MB: {
    default: '0',
    doc: 'Embedded engine: memory of all its queries and caches together (`max_server_memory_usage`), in MiB. 0: the engine’s own (90 % of RAM).',
    schema: int(0, 1_048_576),
  },
  CLICKHOUSE_MARK_CACHE_MB: {
    default: '256',
    doc: 'Embedded engine: cache of data-part marks (`mark_cache_size`, the engine’s own default 5 GiB), in MiB.',
    schema: int(0, 1_048_576),
  },
  CLICKHOUSE_INDEX_MARK_CACHE_MB: {
    default: '64',
    doc: 'Embedded engine: cache of secondary-index marks (`index_mark_cache_size`, own default 5 GiB), in MiB.',
    schema: int(0, 1_048_576),
  },
  CLICKHOUSE_UNCOMPRESSED_CACHE_MB: {
    default: '0',
    doc: 'Embedded engine: cache of uncompressed blocks (`uncompressed_cache_size`), in MiB. 0: off.',
    schema: int(0, 1_048_576),
  },
} satisfies KeyTable;

export function clickhouse(v: Values<typeof clickhouseKeys>, dataDir: string) {
  return {
    /** undefined = embedded chDB */
    url: v.CLICKHOUSE_URL,
    user: v.CLICKHOUSE_USER,
    password: v.CLICKHOUSE_PASSWORD,
    database: v.CLICKHOUSE_DATABASE,
    requestTimeoutMs: v.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    chdbPath: path.join(dataDir, 'chdb'),
    memory: {
      maxMemoryMb: v.CLICKHOUSE_MAX_MEMORY_USAGE_MB,
      maxThreads: v.CLICKHOUSE_MAX_THREADS,
      maxServerMemoryMb: v.CLICKHOUSE_MAX_SERVER_MEMORY_MB,
      markCacheMb: v.CLICKHOUSE_MARK_CACHE_MB,
      indexMarkCacheMb: v.CLICKHOUSE_INDEX_MARK_CACHE_MB,
      uncompressedCacheMb: v.CLICKHOUSE_UNCOMPRESSED_CACHE_MB,
    },
  };
}
