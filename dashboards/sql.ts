import { performance } from 'node:perf_hooks';
import type { ClickHouseClient, Sandbox } from '../infra/clickhouse.ts';
import { CxError, errorMessage } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';

/**
 * The analysts' SQL: read-only SELECTs over an allowlist of cxpulse tables and documented views, run in a
 * sandbox session (infra/clickhouse.ts `createSandbox`: its own connection, limits, `readonly = 1`).
 *
 * A statement passes four gates before it runs, each refusing with a `sql_refused` error that names
 * what was refused:
 * 1. text: one statement (a `;` may only end it), at most MAX_SQL_CHARS;
 * 2. syntax (`EXPLAIN AST`, which parses without running anything): a SELECT, with no SETTINGS, FORMAT
 *    or INTO OUTFILE, and no function that reaches outside (every table function but a few generators,
 *    `file`, `url`, `remote`, `s3`, `executable`, `input`, `mysql`, `postgresql`, … and file-system ones);
 * 3. meaning (`EXPLAIN QUERY TREE`, which resolves CTEs, sub-queries and `IN table`): every table it
 *    reads is on the allowlist, every table function is a generator;
 * 4. the engine: the sandbox session is readonly, so even a gap in the gates above cannot write, DDL or
 *    lift a limit.
 * Every query, refused or not, is audited in `sql_audit` (who, SQL, format, duration, rows, outcome).
 */

export const MAX_SQL_CHARS = 100_000;

/** Tables and views analysts may read, in the cxpulse database; described for the schema browser. */
export const ANALYST_TABLES: Record<string, string> = {
  v_interactions:
    'One row per interaction with every fact the KPIs use (as of the last rollup refresh): dimensions, response, resolution, SLA, FCR.',
  v_surveys:
    'One row per survey answer (CSAT 1–5, NPS 0–10, CES 1–7) with its channel and the customer’s segment and region.',
  v_customers: 'One row per customer: latest segment and region, since when a customer, first churn.',
  v_kpi_daily:
    'Every rate, count, mean and NPS KPI per local day and grouping set: value, numerator, n — the numbers the dashboards show.',
  interaction_events:
    'Raw interaction events as ingested (duplicates collapse on merge: read with FINAL or by event_id).',
  survey_events: 'Raw survey answers as ingested.',
  customer_events: 'Raw customer events (upserts, purchases, renewals, churn).',
  process_changes: 'Process-change annotations (versioned: read with FINAL).',
  dlq: 'Rejected messages: reason, field errors, source topic/partition/offset, original bytes.',
};
const SYSTEM_TABLES = new Set(['system.one', 'system.numbers', 'system.numbers_mt']);
/** Table functions that only generate data. */
const GENERATORS = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'generate_series',
  'generateseries',
  'values',
  'null',
]);
/** Scalar functions that reach the file system or the host, refused wherever they appear. */
const SCALAR_DENY = new Set([
  'file',
  'filesystemavailable',
  'filesystemfree',
  'filesystemcapacity',
  'filesystemunreserved',
  'joinget',
  'joingetornull',
  'getserversetting',
  'getsetting',
  'sleep',
  'sleepeachrow',
]);

export type SqlFormat = 'json' | 'csv' | 'arrow';
export const SQL_FORMATS: readonly SqlFormat[] = ['json', 'csv', 'arrow'];
const CH_FORMAT: Record<SqlFormat, string> = {
  json: 'JSONCompactEachRowWithNamesAndTypes',
  csv: 'CSVWithNames',
  arrow: 'ArrowStream',
};

function refused(message: string, what: string): CxError {
  return new CxError('sql_refused', message, { details: { refused: what } });
}

// ------------------------------------------------------------------------------------------ gate 1

/** The statement without a trailing `;`; refuses several statements. Quotes and comments are skipped. */
export function singleStatement(sql: string): string {
  if (sql.length > MAX_SQL_CHARS)
    throw refused(`the query is longer than ${MAX_SQL_CHARS} characters`, 'length');
  let end = -1;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < sql.length && sql[i] !== c; i++) if (sql[i] === '\\') i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '#' && (sql[i + 1] === ' ' || sql[i + 1] === '!')) {
      while (i < sql.length && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 1;
      continue;
    }
    if (c === ';') {
      end = i;
      const rest = sql
        .slice(i + 1)
        .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '')
        .trim();
      if (rest.length > 0)
        throw refused('one statement at a time: remove everything after the first ";"', 'several statements');
      break;
    }
  }
  const stmt = (end < 0 ? sql : sql.slice(0, end)).trim();
  if (stmt.length === 0) throw refused('the query is empty', 'empty');
  if (/\bSETTINGS\b/i.test(unquoted(stmt)))
    throw refused('SETTINGS are not allowed: limits are fixed for analysts', 'SETTINGS');
  return stmt;
}

/** The statement with string literals, quoted identifiers and comments blanked out. */
function unquoted(sql: string): string {
  return sql
    .replace(/'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/g, ' ')
    .replace(/--[^\n]*|#[ !][^\n]*|\/\*[\s\S]*?\*\//g, ' ');
}

// ------------------------------------------------------------------------------------------ gate 2

interface AstNode {
  type: string;
  rest: string;
  depth: number;
  children: AstNode[];
}

function parseAst(text: string): AstNode[] {
  const roots: AstNode[] = [];
  const stack: AstNode[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^"|"$/g, '');
    if (line.trim() === '') continue;
    const depth = line.length - line.trimStart().length;
    const [type = '', ...rest] = line.trim().split(' ');
    const node: AstNode = { type, rest: rest.join(' '), depth, children: [] };
    while (stack.length > 0 && (stack.at(-1) as AstNode).depth >= depth) stack.pop();
    if (stack.length === 0) roots.push(node);
    else (stack.at(-1) as AstNode).children.push(node);
    stack.push(node);
  }
  return roots;
}

const STATEMENT_WORDS: Record<string, string> = {
  InsertQuery: 'INSERT',
  AlterQuery: 'ALTER',
  DropQuery: 'DROP or TRUNCATE',
  CreateQuery: 'CREATE',
  OptimizeQuery: 'OPTIMIZE',
  SystemQuery: 'SYSTEM',
  KillQueryQuery: 'KILL',
  SetQuery: 'SET',
  GrantQuery: 'GRANT or REVOKE',
  RenameQuery: 'RENAME',
  UseQuery: 'USE',
  ExplainQuery: 'EXPLAIN',
  ShowTablesQuery: 'SHOW',
  DeleteQuery: 'DELETE',
  UndropQuery: 'UNDROP',
  CheckQuery: 'CHECK',
  WatchQuery: 'WATCH',
  ExistsQuery: 'EXISTS',
  DescribeQuery: 'DESCRIBE',
  BackupQuery: 'BACKUP or RESTORE',
};

/** Gate 2 over the text of `EXPLAIN AST`; `tableFunctions` are every table function the engine knows. */
export function checkAst(text: string, tableFunctions: ReadonlySet<string>): void {
  const [root, ...others] = parseAst(text);
  if (!root || others.length > 0) throw refused('one statement at a time', 'several statements');
  if (root.type !== 'SelectWithUnionQuery' && root.type !== 'SelectIntersectExceptQuery') {
    const word = STATEMENT_WORDS[root.type] ?? root.type.replace(/Query$/, '').toUpperCase();
    throw refused(`only SELECT queries are allowed here, not ${word}`, word);
  }
  const [list, ...tail] = root.children;
  if (!list || list.type !== 'ExpressionList')
    throw refused('only SELECT queries are allowed here', 'statement');
  for (const extra of tail) {
    if (extra.type === 'Set')
      throw refused('SETTINGS are not allowed: limits are fixed for analysts', 'SETTINGS');
    if (extra.type === 'Literal')
      throw refused('INTO OUTFILE is not allowed: download the result instead', 'INTO OUTFILE');
    if (extra.type === 'Identifier')
      throw refused('FORMAT is not allowed in the query: choose json, csv or arrow', 'FORMAT');
    throw refused(`${extra.type} is not allowed here`, extra.type);
  }
  const walk = (n: AstNode, inTable: boolean) => {
    if (n.type === 'Set')
      throw refused('SETTINGS are not allowed: limits are fixed for analysts', 'SETTINGS');
    if (n.type === 'Function' || n.type === 'TableFunction') {
      const name = n.rest.split(' ')[0] ?? '';
      const lower = name.toLowerCase();
      if (SCALAR_DENY.has(lower))
        throw refused(`the function ${name}() is not allowed: it reaches outside the data`, name);
      // a function in FROM / JOIN is a table function: only the generators
      if (inTable && !GENERATORS.has(lower) && (tableFunctions.has(lower) || n.type === 'TableFunction'))
        throw refused(`the table function ${name}() is not allowed: analysts read cxpulse tables only`, name);
    }
    n.children.forEach((c) => walk(c, n.type === 'TableExpression'));
  };
  walk(root, false);
}

// ------------------------------------------------------------------------------------------ gate 3

/** Gate 3 over the text of `EXPLAIN QUERY TREE`: the tables and table functions actually read. */
export function checkQueryTree(text: string, database: string, tableFunctions: ReadonlySet<string>): void {
  for (const m of text.matchAll(/table_function_name: ([A-Za-z0-9_]+)/g)) {
    const name = (m[1] as string).toLowerCase();
    if (!GENERATORS.has(name))
      throw refused(
        `the table function ${m[1]}() is not allowed: analysts read cxpulse tables only`,
        m[1] as string,
      );
  }
  for (const m of text.matchAll(/function_name: ([A-Za-z0-9_]+)/g)) {
    const name = (m[1] as string).toLowerCase();
    if (SCALAR_DENY.has(name) || (tableFunctions.has(name) && !GENERATORS.has(name)))
      throw refused(`the function ${m[1]}() is not allowed: it reaches outside the data`, m[1] as string);
  }
  for (const m of text.matchAll(/table_name: ([^,\s"]+)/g)) {
    const full = m[1] as string;
    if (SYSTEM_TABLES.has(full)) continue;
    const [db, table] = full.includes('.') ? (full.split('.', 2) as [string, string]) : [database, full];
    if (db === database && Object.hasOwn(ANALYST_TABLES, table)) continue;
    throw refused(
      `the table ${full} is not open to analysts; use ${Object.keys(ANALYST_TABLES).join(', ')}`,
      full,
    );
  }
}

// ------------------------------------------------------------------------------------------ running

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

/** ClickHouse error codes that mean "the query was too big or too slow" rather than "it is wrong". */
const LIMIT_CODES = new Set(['396', '159', '160', '307', '241']);

export class SqlService {
  private tableFunctions: Promise<Set<string>> | undefined;
  private readonly log = logger('sql');

  constructor(
    private readonly sandbox: Sandbox,
    private readonly audit: ClickHouseClient,
    private readonly database: string,
  ) {}

  private async knownTableFunctions(): Promise<Set<string>> {
    this.tableFunctions ??= this.sandbox.text('SELECT name FROM system.table_functions').then(
      (t) =>
        new Set(
          t
            .split('\n')
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean),
        ),
    );
    return this.tableFunctions;
  }

  /** Gates 1–3; returns the statement to run. Throws `sql_refused`. */
  async check(sql: string): Promise<string> {
    const stmt = singleStatement(sql);
    checkAst(await this.explain('AST', stmt), await this.knownTableFunctions());
    checkQueryTree(await this.explain('QUERY TREE', stmt), this.database, await this.knownTableFunctions());
    return stmt;
  }

  private async explain(kind: 'AST' | 'QUERY TREE', stmt: string): Promise<string> {
    try {
      return await this.sandbox.text(`EXPLAIN ${kind} ${stmt}`);
    } catch (err) {
      throw new CxError('sql_invalid', cleanError(err), {
        details: { stage: kind === 'AST' ? 'syntax' : 'analysis' },
      });
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
    try {
      stmt = await this.check(q.sql);
    } catch (err) {
      await this.record(
        q,
        t0,
        err instanceof CxError && err.code === 'sql_refused' ? 'refused' : 'failed',
        0,
        0,
        err,
      );
      throw err;
    }
    const chunks = this.results(q, stmt, t0);
    return { chunks, columnsFirst: q.format !== 'arrow' };
  }

  /** The result of a checked statement, chunk by chunk; audited when it ends, however it ends. */
  private async *results(q: SqlRun, stmt: string, t0: number): AsyncGenerator<Uint8Array> {
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
      if (!q.signal.aborted) throw toSqlError(err);
    } finally {
      if (q.signal.aborted) outcome = 'cancelled';
      // the header lines of JSON (names, types) and CSV (names) are not rows
      const header = q.format === 'json' ? 2 : q.format === 'csv' ? 1 : 0;
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

function cleanError(err: unknown): string {
  return errorMessage(err)
    .replace(/\s*\(version [^)]*\)/g, '')
    .replace(/Stack trace:[\s\S]*/, '')
    .trim()
    .slice(0, 2000);
}

function toSqlError(err: unknown): CxError {
  const code = String(
    (err as { code?: unknown }).code ?? (err as { clickhouseCode?: unknown }).clickhouseCode ?? '',
  );
  const msg = cleanError(err);
  if (
    LIMIT_CODES.has(code) ||
    /Limit for result exceeded|Timeout exceeded|TOO_MANY_ROWS|TIMEOUT_EXCEEDED/.test(msg)
  )
    return new CxError('sql_limit', `the query passed a limit: ${msg}`);
  return new CxError('sql_failed', msg);
}
