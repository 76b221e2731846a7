import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
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
    });
  }
  mkdirSync(cfg.chdbPath, { recursive: true });
  // Another process's directory: say whose, before the engine refuses it with a line of its own.
  assertStoreFree(cfg.chdbPath);
  let chdb: ChdbConnection;
  try {
    chdb = createChdbConnection({ path: cfg.chdbPath });
  } catch (err) {
    assertStoreFree(cfg.chdbPath, true, err); // taken meanwhile
    throw err;
  }
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

/** Limits of a read-only sandbox: ClickHouse enforces them and fails the query when one is passed. */
export interface SandboxLimits {
  maxRows: number;
  maxBytes: number;
  timeoutSeconds: number;
}

/**
 * A read-only ClickHouse session for untrusted SELECTs (the analysts' SQL). It has its own connection,
 * so nothing it sets can leak into the one that ingests. Limits are set first and `readonly = 1` last:
 * from then on the session refuses writes, DDL and any change of a setting, including the limits. In
 * the embedded engine results stream chunk by chunk (`Session.queryStream`) and an abort cancels
 * between chunks; on a server each request carries the settings and a closed request cancels the query.
 */
export interface Sandbox {
  /** Run a statement whose whole (small) text output is wanted, e.g. `EXPLAIN AST …`. */
  text(sql: string): Promise<string>;
  /** Stream the result of a SELECT in a ClickHouse output format; `rows` when the engine says. */
  stream(
    sql: string,
    format: string,
    signal: AbortSignal,
  ): AsyncIterable<{ data: Uint8Array; rows: number | null }>;
  close(): Promise<void>;
}

export function createSandbox(cfg: Config['clickhouse'], limits: SandboxLimits): Sandbox {
  const settings: Record<string, string> = {
    max_result_rows: String(limits.maxRows),
    max_result_bytes: String(limits.maxBytes),
    result_overflow_mode: 'throw',
    max_execution_time: String(limits.timeoutSeconds),
    timeout_overflow_mode: 'throw',
    cancel_http_readonly_queries_on_client_close: '1',
    // Arrow any reader can open (apache-arrow in JavaScript has no LZ4), strings as Utf8
    output_format_arrow_compression_method: 'none',
    output_format_arrow_string_as_string: '1',
    // last: nothing after this can change a setting
    readonly: '1',
  };
  if (cfg.url) {
    const client = createClient({
      url: cfg.url,
      username: cfg.user,
      password: cfg.password,
      database: cfg.database,
      request_timeout: (limits.timeoutSeconds + 10) * 1000,
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
  mkdirSync(cfg.chdbPath, { recursive: true });
  const init = [
    `USE ${cfg.database}`,
    ...Object.entries(settings)
      .filter(([k]) => k !== 'cancel_http_readonly_queries_on_client_close')
      .map(([k, v]) => `SET ${k} = ${/^\d+$/.test(v) ? v : `'${v}'`}`),
    'SELECT 1',
  ].join('; ');
  // One SET per setting, in order, then the database: the session keeps them (the leak, used on purpose).
  const open = async (): Promise<ChdbConnection> => {
    const c = createChdbConnection({ path: cfg.chdbPath });
    await c.chdb.queryAsync(init);
    return c;
  };
  let session: Promise<ChdbConnection> = open();
  // A stream that ended early (an error, a limit, a cancel) can leave output behind in its session that
  // the next query would return: such a session is closed and a fresh one opened before the next query.
  let dirty = false;
  const current = async (): Promise<ChdbConnection> => {
    if (dirty) {
      dirty = false;
      const old = await session.catch(() => null);
      session = open();
      await old?.close().catch(() => undefined);
    }
    return session;
  };
  // The engine allows one active stream per session: queries take turns.
  let turn: Promise<unknown> = session;
  const exclusive = <T>(f: () => Promise<T>): Promise<T> => {
    const run = turn.catch(() => undefined).then(f);
    turn = run.catch(() => undefined);
    return run;
  };
  return {
    text: (sql) =>
      exclusive(async () => {
        try {
          return (await (await current()).chdb.queryAsync(sql, { format: 'TabSeparatedRaw' })).text();
        } catch (err) {
          dirty = true;
          throw err;
        }
      }),
    async *stream(sql, format, signal) {
      let release!: () => void;
      const done = new Promise<void>((r) => (release = r));
      let started!: () => void;
      const go = new Promise<void>((r) => (started = r));
      void exclusive(async () => {
        started();
        await done;
      });
      await go;
      let complete = false;
      try {
        const s = (await current()).chdb.queryStream(sql, { format, signal });
        const joiner = new ChunkJoiner(format);
        try {
          for await (const chunk of s) {
            if (signal.aborted) break;
            yield { data: joiner.next(chunk.raw()), rows: chunk.numRows };
          }
          const tail = joiner.end();
          if (tail.byteLength > 0 && !signal.aborted) yield { data: tail, rows: 0 };
          complete = !signal.aborted;
        } finally {
          if (!s.closed) s.cancel();
        }
      } finally {
        if (!complete) dirty = true;
        release();
      }
    },
    close: async () => {
      await turn;
      await (await session.catch(() => null))?.close();
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
