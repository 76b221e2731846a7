/** Keys of the analysts' SQL: result and read limits, time, memory, threads, concurrency. */
import { int, type KeyTable, type Values } from './keys.ts';

export const sqlKeys = {
  SQL_MAX_ROWS: {
    default: '10000000',
    doc: 'Most rows an analyst query may return (`POST /api/v1/sql`, `cxpulse query`); a larger result fails, it is never cut short.',
    schema: int(1, 1_000_000_000),
  },
  SQL_MAX_JSON_ROWS: {
    default: '100000',
    doc: 'Most rows of a JSON answer to an analyst query (CSV and Arrow stream up to SQL_MAX_ROWS).',
    schema: int(1, 10_000_000),
  },
  SQL_MAX_XLSX_ROWS: {
    default: '100000',
    doc: 'Most rows of an xlsx download of an analyst query (built in memory; more fails with 422, CSV and Arrow stream up to SQL_MAX_ROWS).',
    schema: int(1, 1_000_000),
  },
  SQL_MAX_BYTES: {
    default: '8589934592',
    doc: 'Most bytes (uncompressed, in the engine) an analyst query may return.',
    schema: int(1, Number.MAX_SAFE_INTEGER),
  },
  SQL_TIMEOUT_SECONDS: {
    default: '60',
    doc: 'Longest an analyst query may run.',
    schema: int(1, 3600),
  },
  SQL_MAX_MEMORY_MB: {
    default: '1024',
    doc: 'Most memory one analyst query may use, in MiB (the engine’s `max_memory_usage`).',
    schema: int(16, 1_048_576),
  },
  SQL_MAX_THREADS: {
    default: '1',
    doc: 'Most threads one analyst query may use (`max_threads`), so that it cannot take every core from ingestion and the API.',
    schema: int(1, 256),
  },
  SQL_MAX_ROWS_READ: {
    default: '1000000000',
    doc: 'Most rows one analyst query may read from tables and generators (`max_rows_to_read`); more fails the query.',
    schema: int(1, Number.MAX_SAFE_INTEGER),
  },
  SQL_CONCURRENCY: {
    default: '2',
    doc: 'Analyst queries that run at once (each in its own sandbox session); one caller gets at most all but one of them.',
    schema: int(1, 64),
  },
  SQL_QUEUE_WAIT_SECONDS: {
    default: '10',
    doc: 'Longest an analyst query waits for a free slot before it is answered 503 `sql_busy` with `Retry-After`.',
    schema: int(1, 600),
  },
} satisfies KeyTable;

/** Limits of the analysts' SQL. */
export function sql(v: Values<typeof sqlKeys>) {
  return {
    maxRows: v.SQL_MAX_ROWS,
    maxJsonRows: v.SQL_MAX_JSON_ROWS,
    maxXlsxRows: v.SQL_MAX_XLSX_ROWS,
    maxBytes: v.SQL_MAX_BYTES,
    timeoutSeconds: v.SQL_TIMEOUT_SECONDS,
    maxMemoryMb: v.SQL_MAX_MEMORY_MB,
    maxThreads: v.SQL_MAX_THREADS,
    maxRowsRead: v.SQL_MAX_ROWS_READ,
    concurrency: v.SQL_CONCURRENCY,
    queueWaitSeconds: v.SQL_QUEUE_WAIT_SECONDS,
  };
}
