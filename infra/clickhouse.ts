import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Session } from 'chdb';
import { createChdbConnection, type ChdbConnection } from 'chdb/connection';
import type { Config } from './config.ts';
import { assertStoreFree } from './store-lock.ts';

export type { ClickHouseClient };

/**
 * The one place that knows the two ClickHouse modes: a server over HTTP(S) when `CLICKHOUSE_URL` is set,
 * otherwise the engine in-process (chDB) on a data directory. Everything else speaks `@clickhouse/client`.
 *
 * chDB keeps per-query settings on its connection (a `readonly` query makes later inserts fail), so code
 * that runs untrusted or settings-changing queries must ask for its own client: each call here opens a
 * separate connection.
 *
 * An embedded data directory held by another process fails with `data_dir_locked` naming that process.
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
      clickhouse_settings: querySettings(cfg.memory),
    });
  }
  mkdirSync(cfg.chdbPath, { recursive: true });
  // Another process's directory: say whose, before the engine refuses it with a line of its own.
  assertStoreFree(cfg.chdbPath);
  let chdb: ChdbConnection;
  try {
    chdb = openWithEngineArgs(cfg);
  } catch (err) {
    assertStoreFree(cfg.chdbPath, true, err); // taken meanwhile
    throw err;
  }
  // chdb types its connection against its own copy of @clickhouse/client-common; the shapes are the same.
  const connection = chdb as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  // The embedded connection turns these into `SET`s before each query (they stay on its session).
  const client = createClient({ connection, clickhouse_settings: querySettings(cfg.memory) });
  embedded.set(client, chdb);
  return client;
}

const embedded = new WeakMap<ClickHouseClient, ChdbConnection>();

type MemoryConfig = Config['clickhouse']['memory'];
const MIB = 1024 * 1024;

/**
 * The per-query memory settings of every query through the client: `max_memory_usage` (over it the
 * query fails with MEMORY_LIMIT_EXCEEDED, which the HTTP layer answers as `query_memory_limit`), group-bys
 * and sorts spilling to disk past half of it, `max_threads`. 0 leaves the engine's own.
 */
export function querySettings(m: MemoryConfig): Record<string, string> {
  const s: Record<string, string> = {};
  if (m.maxMemoryMb > 0) {
    s['max_memory_usage'] = String(m.maxMemoryMb * MIB);
    s['max_bytes_before_external_group_by'] = String((m.maxMemoryMb * MIB) / 2);
    s['max_bytes_before_external_sort'] = String((m.maxMemoryMb * MIB) / 2);
  }
  if (m.maxThreads > 0) s['max_threads'] = String(m.maxThreads);
  return s;
}

/**
 * The embedded engine's server configuration, as `clickhouse local` arguments: the caches' sizes and the
 * memory of everything together. They are read when the process's engine starts (its first connection),
 * so a later connection while the engine runs keeps the first one's.
 */
export function engineArgs(m: MemoryConfig): string[] {
  const args = [
    `--mark_cache_size=${m.markCacheMb * MIB}`,
    `--index_mark_cache_size=${m.indexMarkCacheMb * MIB}`,
    `--uncompressed_cache_size=${m.uncompressedCacheMb * MIB}`,
  ];
  if (m.maxServerMemoryMb > 0) args.push(`--max_server_memory_usage=${m.maxServerMemoryMb * MIB}`);
  return args;
}

/**
 * A connection to the embedded engine, started with `engineArgs` when it is not running yet: a session
 * carrying the arguments is opened first (chDB's connection factory takes none) and closed once the
 * connection holds the engine.
 */
function openWithEngineArgs(cfg: Config['clickhouse']): ChdbConnection {
  const starter = new Session(cfg.chdbPath, { connectionArgs: engineArgs(cfg.memory) });
  try {
    return createChdbConnection({ path: cfg.chdbPath });
  } finally {
    starter.close();
  }
}

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

/** Limits of a read-only sandbox: ClickHouse enforces them and fails the query when one is passed. */
export interface SandboxLimits {
  /** Result rows and bytes (`max_result_rows`, `max_result_bytes`). */
  maxRows: number;
  maxBytes: number;
  /** `max_execution_time`. */
  timeoutSeconds: number;
  /** `max_memory_usage`, in MiB. */
  maxMemoryMb: number;
  /** `max_threads`. */
  maxThreads: number;
  /** `max_rows_to_read` (with `read_overflow_mode = 'throw'`). */
  maxRowsRead: number;
  /** Sessions in the embedded engine: queries that can run at once. */
  concurrency: number;
}

/**
 * A read-only ClickHouse sandbox for untrusted SELECTs (the analysts' SQL). It has connections of its
 * own, so nothing it sets can leak into the one that ingests. Limits are set first and `readonly = 1`
 * last: from then on a session refuses writes, DDL and any change of a setting, including the limits.
 * In the embedded engine it is a pool of `concurrency` sessions (a session runs one stream at a time;
 * sessions run side by side); results stream chunk by chunk (`Session.queryStream`) and an abort cancels
 * between chunks. On a server each request carries the settings and a closed request cancels the query.
 */
export interface Sandbox {
  /** Run a statement whose whole (small) text output is wanted, e.g. `EXPLAIN AST …` (TabSeparated). */
  text(sql: string): Promise<string>;
  /** Stream the result of a SELECT in a ClickHouse output format; `rows` when the engine says. */
  stream(
    sql: string,
    format: string,
    signal: AbortSignal,
  ): AsyncIterable<{ data: Uint8Array; rows: number | null }>;
  close(): Promise<void>;
}

/** The settings of every sandbox query, `readonly` last. */
export function sandboxSettings(limits: SandboxLimits): Record<string, string> {
  return {
    max_result_rows: String(limits.maxRows),
    max_result_bytes: String(limits.maxBytes),
    result_overflow_mode: 'throw',
    max_execution_time: String(limits.timeoutSeconds),
    timeout_overflow_mode: 'throw',
    max_memory_usage: String(limits.maxMemoryMb * 1024 * 1024),
    max_threads: String(limits.maxThreads),
    max_rows_to_read: String(limits.maxRowsRead),
    read_overflow_mode: 'throw',
    cancel_http_readonly_queries_on_client_close: '1',
    // Arrow any reader can open (apache-arrow in JavaScript has no LZ4), strings as Utf8
    output_format_arrow_compression_method: 'none',
    output_format_arrow_string_as_string: '1',
    // last: nothing after this can change a setting
    readonly: '1',
  };
}

export function createSandbox(cfg: Config['clickhouse'], limits: SandboxLimits): Sandbox {
  const settings = sandboxSettings(limits);
  if (cfg.url) {
    const client = createClient({
      url: cfg.url,
      username: cfg.user,
      password: cfg.password,
      database: cfg.database,
      request_timeout: (limits.timeoutSeconds + 10) * 1000,
      max_open_connections: limits.concurrency + 1,
      clickhouse_settings: settings,
    });
    return {
      async text(sql) {
        const rs = await client.exec({ query: sql });
        let out = '';
        for await (const c of rs.stream) out += String(c);
        return out;
      },
      async *stream(sql, format, signal) {
        const rs = await client.exec({ query: `${sql}\nFORMAT ${format}`, abort_signal: signal });
        for await (const c of rs.stream) yield { data: c as Uint8Array, rows: null };
      },
      close: () => client.close(),
    };
  }
  return embeddedSandbox(cfg, settings, limits.concurrency);
}

/** One chDB session of the pool; `dirty` once a stream ended early and may have left output behind. */
interface PoolSession {
  conn: Promise<ChdbConnection> | null;
  dirty: boolean;
}

function embeddedSandbox(cfg: Config['clickhouse'], settings: Record<string, string>, size: number): Sandbox {
  mkdirSync(cfg.chdbPath, { recursive: true });
  // The database, then one SET per setting, in order: the session keeps them (the leak, used on purpose).
  const init = [
    `USE ${cfg.database}`,
    ...Object.entries(settings)
      .filter(([k]) => k !== 'cancel_http_readonly_queries_on_client_close')
      .map(([k, v]) => `SET ${k} = ${/^\d+$/.test(v) ? v : `'${v}'`}`),
    'SELECT 1',
  ].join('; ');
  const open = async (): Promise<ChdbConnection> => {
    const c = createChdbConnection({ path: cfg.chdbPath });
    await c.chdb.queryAsync(init);
    return c;
  };
  const free: PoolSession[] = Array.from({ length: size }, () => ({ conn: null, dirty: false }));
  const waiting: ((s: PoolSession) => void)[] = [];
  const take = (): Promise<PoolSession> => {
    const s = free.pop();
    return s ? Promise.resolve(s) : new Promise((resolve) => waiting.push(resolve));
  };
  const give = (s: PoolSession): void => {
    const next = waiting.shift();
    if (next) next(s);
    else free.push(s);
  };
  // A stream that ended early (an error, a limit, a cancel) can leave output behind in its session that
  // the next query would return: such a session is closed and a fresh one opened before its next query.
  const connection = async (s: PoolSession): Promise<ChdbConnection> => {
    if (s.dirty || !s.conn) {
      const old = s.dirty ? await s.conn?.catch(() => null) : null;
      s.dirty = false;
      s.conn = open();
      await old?.close().catch(() => undefined);
    }
    return s.conn;
  };
  return {
    async text(sql) {
      const s = await take();
      try {
        return (await (await connection(s)).chdb.queryAsync(sql, { format: 'TabSeparated' })).text();
      } catch (err) {
        s.dirty = true;
        throw err;
      } finally {
        give(s);
      }
    },
    async *stream(sql, format, signal) {
      const s = await take();
      let complete = false;
      try {
        const st = (await connection(s)).chdb.queryStream(sql, { format, signal });
        const joiner = new ChunkJoiner(format);
        try {
          for await (const chunk of st) {
            if (signal.aborted) break;
            yield { data: joiner.next(chunk.raw()), rows: chunk.numRows };
          }
          const tail = joiner.end();
          if (tail.byteLength > 0 && !signal.aborted) yield { data: tail, rows: 0 };
          complete = !signal.aborted;
        } finally {
          if (!st.closed) st.cancel();
        }
      } finally {
        if (!complete) s.dirty = true;
        give(s);
      }
    },
    close: async () => {
      // every session back in the pool, then closed
      const all = await Promise.all(Array.from({ length: size }, () => take()));
      for (const s of all) await (await s.conn?.catch(() => null))?.close();
    },
  };
}

/**
 * The embedded engine's stream formats every chunk as a whole output of its own: the header line(s) of
 * `CSVWithNames` / `…WithNamesAndTypes` again, and for `ArrowStream` a whole IPC stream (schema, batches,
 * end-of-stream marker). Joined as they come, a large result would repeat its header mid-file, or end
 * for an Arrow reader after the first chunk. This turns the chunks into one output: headers once, one
 * Arrow schema, one end-of-stream marker.
 */
export class ChunkJoiner {
  private first = true;
  private readonly headerLines: number;
  private readonly arrow: boolean;

  constructor(format: string) {
    this.arrow = format === 'ArrowStream';
    this.headerLines = /WithNamesAndTypes$/.test(format) ? 2 : /WithNames$/.test(format) ? 1 : 0;
  }

  next(chunk: Uint8Array): Uint8Array {
    const first = this.first;
    this.first = false;
    if (this.arrow) {
      const start = first ? 0 : arrowMessageEnd(chunk, 0);
      const end = endsWithEos(chunk) ? chunk.byteLength - 8 : chunk.byteLength;
      return chunk.subarray(start, Math.max(start, end));
    }
    if (first || this.headerLines === 0) return chunk;
    let at = 0;
    for (let i = 0; i < this.headerLines; i++) {
      const nl = chunk.indexOf(10, at);
      if (nl < 0) return new Uint8Array(0);
      at = nl + 1;
    }
    return chunk.subarray(at);
  }

  /** What ends the joined output: the Arrow end-of-stream marker. */
  end(): Uint8Array {
    return this.arrow && !this.first
      ? Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])
      : new Uint8Array(0);
  }
}

/** End of the IPC message at `at`: continuation marker, metadata length, metadata (its body follows only for batches). */
function arrowMessageEnd(b: Uint8Array, at: number): number {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = at;
  if (view.getUint32(p, true) === 0xffffffff) p += 4;
  const metaLength = view.getInt32(p, true);
  return p + 4 + metaLength;
}

function endsWithEos(b: Uint8Array): boolean {
  const n = b.byteLength;
  return (
    n >= 8 &&
    b[n - 8] === 0xff &&
    b[n - 7] === 0xff &&
    b[n - 6] === 0xff &&
    b[n - 5] === 0xff &&
    b[n - 4] === 0 &&
    b[n - 3] === 0 &&
    b[n - 2] === 0 &&
    b[n - 1] === 0
  );
}
