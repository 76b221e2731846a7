import { performance } from 'node:perf_hooks';
import type { ClickHouseClient, Sandbox } from '../infra/clickhouse.ts';
import type { Config } from '../infra/config.ts';
import { CxError, errorMessage } from '../infra/errors.ts';
import { parseEngineError } from '../infra/clickhouse-errors.ts';
import { logger } from '../infra/logger.ts';
import { checkAst, checkQueryTree } from './sql-ast.ts';
import { FairQueue } from './sql-queue.ts';
import { MAX_SQL_CHARS, cteNames, singleStatement } from './sql-text.ts';

export { ANALYST_TABLES } from './sql-ast.ts';
export { MAX_SQL_CHARS, singleStatement } from './sql-text.ts';

/**
 * The analysts' SQL: read-only SELECTs over an allowlist of cxpulse tables and documented views, run in a
 * sandbox (infra/clickhouse.ts `createSandbox`: connections of its own, limits, `readonly = 1`).
 *
 * A statement passes four gates before it runs, each refusing with a `sql_refused` error that names
 * what was refused:
 * 1. text (sql-text.ts): one statement, at most MAX_SQL_CHARS, quoted names that `EXPLAIN AST` prints
 *    on one line;
 * 2. syntax and tables (sql-ast.ts, over `EXPLAIN AST`, which parses without running anything): a SELECT
 *    without SETTINGS, FORMAT or INTO OUTFILE; no function that reads the server, files, dictionaries or
 *    tables by name; no table function but generators; every table it names, in every sub-query, CTE,
 *    JOIN and `IN`, on the allowlist. Nothing of the query has run yet;
 * 3. meaning (`EXPLAIN QUERY TREE`, which runs the analyzer and so scalar sub-queries — over allowed
 *    tables only, as gate 2 has passed): the same rules over what the analyzer resolved;
 * 4. the engine: the sandbox session is readonly with limits on memory, threads, rows read, result size
 *    and time; even a gap in the gates above cannot write, DDL or lift a limit.
 * Queries take turns in a FairQueue (SQL_CONCURRENCY at once, one caller never all of them). Engine
 * errors are shown with their name and a summary without quoted values, the query's echo or the
 * pipeline step (`publicMessage`); syntax errors, which quote only the analyst's own text, in full.
 * Every query, refused or not, is audited in `sql_audit` (who, SQL, format, duration, rows, outcome).
 */

export type SqlFormat = 'json' | 'csv' | 'arrow' | 'xlsx';
export const SQL_FORMATS: readonly SqlFormat[] = ['json', 'csv', 'arrow', 'xlsx'];
/** The engine's output for each format (an xlsx is built from the JSON rows by routes/sql.ts). */
const CH_FORMAT: Record<SqlFormat, string> = {
  json: 'JSONCompactEachRowWithNamesAndTypes',
  xlsx: 'JSONCompactEachRowWithNamesAndTypes',
  csv: 'CSVWithNames',
  arrow: 'ArrowStream',
};

export interface SqlRun {
  caller: string;
  role: string;
  sql: string;
  format: SqlFormat;
  signal: AbortSignal;
}

export interface AuditRow {
  caller: string;
  role: string;
  sql: string;
  format: string;
  outcome: 'ok' | 'refused' | 'failed' | 'cancelled';
  duration_ms: number;
  rows: number;
  bytes: number;
  error: string;
}

/** The limits in force (configuration `sql`), for the messages that name them. */
export type SqlLimits = Config['sql'];

export class SqlService {
  private tableFunctions: Promise<Set<string>> | undefined;
  private readonly log = logger('sql');
  private readonly queue: FairQueue;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly audit: ClickHouseClient,
    private readonly database: string,
    private readonly limits: SqlLimits,
  ) {
    const slots = limits.concurrency;
    this.queue = new FairQueue(slots, Math.max(1, slots - 1), limits.queueWaitSeconds * 1000);
  }

  /** Analyst queries running and waiting for a slot now. */
  get load(): { running: number; waiting: number } {
    return this.queue.load;
  }

  private async knownTableFunctions(): Promise<Set<string>> {
    this.tableFunctions ??= this.sandbox.text('SELECT name FROM system.table_functions').then(lines);
    return this.tableFunctions;
  }

  /** Tables, views and dictionaries of the analyst database (asked each time: cheap, never stale). */
  private async databaseTables(): Promise<Set<string>> {
    const text = await this.sandbox.text(
      `SELECT name FROM system.tables WHERE database = currentDatabase()
       UNION DISTINCT SELECT name FROM system.dictionaries WHERE database = currentDatabase()`,
    );
    return new Set(text.split('\n').filter(Boolean));
  }

  /** Gates 1–3; returns the statement to run. Throws `sql_refused` or `sql_invalid`. */
  async check(sql: string): Promise<string> {
    const stmt = singleStatement(sql);
    const ast = await this.explain('AST', stmt);
    const tableFunctions = await this.knownTableFunctions();
    checkAst(ast, {
      database: this.database,
      tableFunctions,
      ctes: cteNames(stmt),
      existing: await this.databaseTables(),
    });
    // Only now may the analyzer run (it executes scalar sub-queries): every table is allowed.
    checkQueryTree(await this.explain('QUERY TREE', stmt), this.database, tableFunctions);
    return stmt;
  }

  private async explain(kind: 'AST' | 'QUERY TREE', stmt: string): Promise<string> {
    try {
      return await this.sandbox.text(`EXPLAIN ${kind} ${stmt}`);
    } catch (err) {
      // a parse error quotes only the analyst's own text; anything later is summarised
      if (kind === 'AST') throw new CxError('sql_invalid', cleanError(err), { details: { stage: 'syntax' } });
      throw toSqlError(err, this.limits, 'analysis');
    }
  }

  /**
   * Check, run and audit one query; the result streams in the ClickHouse format of `format`. The
   * returned iterator must be consumed or returned; a ClickHouse error (a limit, a timeout) is thrown
   * from it as `sql_limit` or `sql_failed`.
   */
  async run(q: SqlRun): Promise<{ chunks: AsyncGenerator<Uint8Array>; columnsFirst: boolean }> {
    const t0 = performance.now();
    let stmt: string;
    let release: (() => void) | undefined;
    try {
      release = await this.queue.acquire(q.caller, q.signal);
      stmt = await this.check(q.sql);
    } catch (err) {
      release?.();
      const outcome = err instanceof CxError && err.code === 'sql_refused' ? 'refused' : 'failed';
      await this.record(q, t0, outcome, 0, 0, err);
      throw err;
    }
    const chunks = this.results(q, stmt, t0, release);
    return { chunks, columnsFirst: q.format !== 'arrow' };
  }

  /** The result of a checked statement, chunk by chunk; audited when it ends, however it ends. */
  private async *results(
    q: SqlRun,
    stmt: string,
    t0: number,
    release: () => void,
  ): AsyncGenerator<Uint8Array> {
    let bytes = 0;
    let rows = 0;
    let lines = 0;
    let outcome: AuditRow['outcome'] = 'ok';
    let error: unknown;
    try {
      for await (const c of this.sandbox.stream(stmt, CH_FORMAT[q.format], q.signal)) {
        bytes += c.data.byteLength;
        if (c.rows !== null) rows += c.rows;
        else if (q.format !== 'arrow') lines += countLines(c.data);
        yield c.data;
      }
      if (q.signal.aborted) outcome = 'cancelled';
    } catch (err) {
      outcome = q.signal.aborted ? 'cancelled' : 'failed';
      error = err;
      if (!q.signal.aborted) throw toSqlError(err, this.limits, 'run');
    } finally {
      release();
      if (q.signal.aborted) outcome = 'cancelled';
      // the header lines of JSON and xlsx (names, types) and CSV (names) are not rows
      const header = q.format === 'json' || q.format === 'xlsx' ? 2 : q.format === 'csv' ? 1 : 0;
      await this.record(q, t0, outcome, rows + Math.max(0, lines - header), bytes, error);
    }
  }

  private async record(
    q: SqlRun,
    t0: number,
    outcome: AuditRow['outcome'],
    rows: number,
    bytes: number,
    err?: unknown,
  ) {
    const row: AuditRow = {
      caller: q.caller,
      role: q.role,
      sql: q.sql.slice(0, MAX_SQL_CHARS),
      format: q.format,
      outcome,
      duration_ms: Math.round(performance.now() - t0),
      rows,
      bytes,
      error: err === undefined ? '' : cleanError(err),
    };
    this.log.info({ event_name: 'sql_query', ...row, sql: row.sql.slice(0, 500) }, 'analyst query');
    try {
      await this.audit.insert({ table: `${this.database}.sql_audit`, values: [row], format: 'JSONEachRow' });
    } catch (e) {
      this.log.error(
        { event_name: 'sql_audit_failed', err: errorMessage(e) },
        'could not write the audit row',
      );
    }
  }
}

/** Lines in a chunk of the server's text output (values with line breaks are quoted and escaped). */
function countLines(b: Uint8Array): number {
  let n = 0;
  for (const x of b) if (x === 10) n++;
  return n;
}

function lines(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** The engine's message for logs and the audit: no version, no stack trace. */
function cleanError(err: unknown): string {
  return errorMessage(err)
    .replace(/\s*\(version [^)]*\)/g, '')
    .replace(/Stack trace:[\s\S]*/, '')
    .trim()
    .slice(0, 2000);
}

/**
 * The engine's message as analysts see it: the error's name and code, then its first sentence(s) with
 * every quoted value (`'…'`) blanked, and without the query's echo (`In scope …`), the pipeline step
 * (`while executing …`) or anything after them — the parts where a value read by the query can appear.
 */
export function publicMessage(err: unknown): string {
  const { code, name, sentence } = parseEngineError(err);
  const text = sentence
    .replace(/(?:[.:]?\s*(?:In scope|in scope|[Ww]hile executing|[Ww]hile processing)\b)[\s\S]*$/, '')
    .replace(/'(?:[^'\\]|\\.)*'|'[\s\S]*$/g, "'…'")
    .slice(0, 500)
    .trim();
  return `${name ?? 'ERROR'}${code !== undefined ? ` (code ${code})` : ''}: ${text}`;
}

/** Each limit: the engine's error names, the setting and the configuration key that raises it. */
const LIMITS: {
  names: RegExp;
  what: string;
  setting: string;
  key: string;
  value: (l: SqlLimits) => string;
}[] = [
  {
    names: /MEMORY_LIMIT_EXCEEDED/,
    what: 'memory',
    setting: 'max_memory_usage',
    key: 'SQL_MAX_MEMORY_MB',
    value: (l) => `${l.maxMemoryMb} MiB`,
  },
  {
    names: /TOO_MANY_ROWS\b.*max_rows_to_read|max_rows_to_read[\s\S]*TOO_MANY_ROWS\b/,
    what: 'rows read',
    setting: 'max_rows_to_read',
    key: 'SQL_MAX_ROWS_READ',
    value: (l) => `${l.maxRowsRead} rows`,
  },
  {
    names: /TIMEOUT_EXCEEDED|TOO_SLOW/,
    what: 'time',
    setting: 'max_execution_time',
    key: 'SQL_TIMEOUT_SECONDS',
    value: (l) => `${l.timeoutSeconds} s`,
  },
  {
    names: /TOO_MANY_ROWS_OR_BYTES|Limit for result exceeded/,
    what: 'result size',
    setting: 'max_result_rows / max_result_bytes',
    key: 'SQL_MAX_ROWS / SQL_MAX_BYTES',
    value: (l) => `${l.maxRows} rows, ${l.maxBytes} bytes`,
  },
];

/** An engine error as `sql_limit` (naming the limit and what raises it) or `sql_failed`/`sql_invalid`. */
function toSqlError(err: unknown, limits: SqlLimits, stage: 'analysis' | 'run'): CxError {
  if (err instanceof CxError) return err;
  const raw = cleanError(err);
  const shown = publicMessage(err);
  const limit = LIMITS.find((l) => l.names.test(raw));
  if (limit)
    return new CxError(
      'sql_limit',
      `the query passed the ${limit.what} limit (${limit.setting}: ${limit.value(limits)}; ${limit.key} raises it): ${shown}`,
      { details: { limit: limit.what, setting: limit.setting, config_key: limit.key } },
    );
  return new CxError(stage === 'analysis' ? 'sql_invalid' : 'sql_failed', shown, { details: { stage } });
}
