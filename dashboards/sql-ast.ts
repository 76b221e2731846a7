import { refused } from './sql-text.ts';

/**
 * Gates 2 and 3 of the analysts' SQL.
 *
 * Gate 2 reads `EXPLAIN AST`, which parses and executes nothing: the statement kind, SETTINGS, FORMAT,
 * INTO OUTFILE, every function (a deny list of those that read the server's state, files, dictionaries
 * or other tables by name) and every table the query names — `FROM`/`JOIN` tables, `IN table`, in every
 * sub-query, CTE and table-function argument. A table is allowed when it is on the allowlist of the
 * analyst database (unqualified names are resolved there), one of three `system` generators, or the
 * name of a CTE of the query that is not also a table of that database. Nothing that runs the analyzer
 * (which executes scalar sub-queries) may run before this gate has passed.
 *
 * Gate 3 reads `EXPLAIN QUERY TREE` (after gate 2): the tables and functions the analyzer resolved, as a
 * second look at the same rules.
 */

/** Tables and views analysts may read, in the cxpulse database; described for the schema browser. */
export const ANALYST_TABLES: Record<string, string> = {
  v_interactions:
    'One row per interaction with every fact the KPIs use (as of the last rollup refresh): dimensions, response, resolution, SLA, FCR.',
  v_surveys:
    'One row per survey answer (CSAT 1–5, NPS 0–10, CES 1–7) with its channel, the agent, team, category, priority and severity of the interaction it answers, and the customer’s segment and region.',
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
/**
 * Functions refused wherever they appear (lower-cased, aliases included): the file system, the host and
 * the server (names, ports, users, roles, settings, versions, ids of queries), dictionaries and other
 * tables named in a string, sleeping. `currentDatabase()` stays: the schema browser shows the database.
 */
const DENIED_FUNCTIONS = new Set(
  [
    'file',
    'sleep',
    'sleepEachRow',
    'joinGet',
    'joinGetOrNull',
    'hasColumnInTable',
    'getMaxTableNameLengthForDatabase',
    'globalVariable',
    'catboostEvaluate',
    'hostName',
    'FQDN',
    'fullHostName',
    'getMacro',
    'serverUUID',
    'currentUser',
    'user',
    'session_user',
    'current_user',
    'authUser',
    'authenticatedUser',
    'currentProfiles',
    'enabledProfiles',
    'defaultProfiles',
    'currentRoles',
    'enabledRoles',
    'defaultRoles',
    'uptime',
    'version',
    'revision',
    'buildId',
    'displayName',
    'tcpPort',
    'getServerPort',
    'getOSKernelVersion',
    'initialQueryID',
    'initial_query_id',
    'initialQueryStartTime',
    'initial_query_start_time',
    'queryID',
    'query_id',
    'currentQueryID',
    'current_query_id',
    'shardNum',
    'shardCount',
    'getClientHTTPHeader',
    'connectionId',
    'connection_id',
    'showCertificate',
    'zookeeperSessionUptime',
    'logTrace',
    'demangle',
    'fuzzQuery',
    'hasThreadFuzzer',
  ].map((f) => f.toLowerCase()),
);
const DENIED_PREFIXES = [
  'dict',
  'filesystem',
  '__',
  'getsetting',
  'getserversetting',
  'getmergetreesetting',
  'naivebayes',
  'addressto',
  'transaction',
];
/** The functions whose right-hand side may be a table: `x IN t`, `x GLOBAL NOT IN db.t`, `x IN (t)`. */
const IN_FUNCTION = /^(global)?(not)?(null)?in(ignoreset)?$/i;

export function deniedFunction(name: string): boolean {
  const lower = name.toLowerCase();
  return DENIED_FUNCTIONS.has(lower) || DENIED_PREFIXES.some((p) => lower.startsWith(p));
}

interface AstNode {
  type: string;
  /** What follows the type, e.g. `sql_audit (alias a)` or `in (children 1)`. */
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

/** What gate 2 needs besides the AST. */
export interface TableContext {
  /** The analyst database: unqualified names are resolved there. */
  database: string;
  /** Every table function the engine knows, lower-cased. */
  tableFunctions: ReadonlySet<string>;
  /** Names the statement may define as CTEs (`cteNames`). */
  ctes: ReadonlySet<string>;
  /** Every table, view and dictionary of the analyst database. */
  existing: ReadonlySet<string>;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

function closedTable(name: string): never {
  throw refused(
    `the table ${name} is not open to analysts; use ${Object.keys(ANALYST_TABLES).join(', ')}`,
    name,
  );
}

/** Refuses a table the query names unless it is allowed (see the file's comment). */
export function checkTableName(name: string, ctx: TableContext, inRhs = false): void {
  const parts = name.split('.');
  if (parts.length === 2 && parts.every((p) => PLAIN.test(p))) {
    const [db, table] = parts as [string, string];
    if (SYSTEM_TABLES.has(name.toLowerCase())) return;
    if (db === ctx.database && Object.hasOwn(ANALYST_TABLES, table)) return;
    closedTable(name);
  }
  if (parts.length !== 1 || !PLAIN.test(name)) closedTable(name);
  if (Object.hasOwn(ANALYST_TABLES, name)) return;
  if (ctx.existing.has(name)) closedTable(name);
  // not a table of the database: a CTE, or (right of IN) a column or an alias
  if (inRhs || ctx.ctes.has(name)) return;
  closedTable(name);
}

function checkRoot(root: AstNode | undefined, others: AstNode[]): AstNode {
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
  return root;
}

/** Gate 2 over the text of `EXPLAIN AST`. Throws `sql_refused`. */
export function checkAst(text: string, ctx: TableContext): void {
  const [root, ...others] = parseAst(text);
  const walk = (n: AstNode, inTable: boolean) => {
    if (!/^[A-Z][A-Za-z0-9_]*$/.test(n.type))
      throw refused('the query could not be read: simplify its names', n.type);
    if (n.type === 'Set')
      throw refused('SETTINGS are not allowed: limits are fixed for analysts', 'SETTINGS');
    const name = n.rest.split(' ')[0] ?? '';
    if (n.type === 'TableIdentifier') checkTableName(n.rest.replace(/ \(alias .*$/, ''), ctx);
    if (n.type === 'Function' || n.type === 'TableFunction') {
      const lower = name.toLowerCase();
      if (deniedFunction(name))
        throw refused(`the function ${name}() is not allowed: it reaches outside the data`, name);
      // a function in FROM / JOIN is a table function: only the generators
      if (inTable && !GENERATORS.has(lower) && (ctx.tableFunctions.has(lower) || n.type === 'TableFunction'))
        throw refused(`the table function ${name}() is not allowed: analysts read cxpulse tables only`, name);
      const rhs = IN_FUNCTION.test(name) ? n.children[0]?.children[1] : undefined;
      if (rhs?.type === 'Identifier') checkTableName(rhs.rest.replace(/ \(alias .*$/, ''), ctx, true);
    }
    n.children.forEach((c) => walk(c, n.type === 'TableExpression'));
  };
  walk(checkRoot(root, others), false);
}

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
    const name = m[1] as string;
    if (
      deniedFunction(name) ||
      (tableFunctions.has(name.toLowerCase()) && !GENERATORS.has(name.toLowerCase()))
    )
      throw refused(`the function ${name}() is not allowed: it reaches outside the data`, name);
  }
  for (const m of text.matchAll(/table_name: ([^,\s"]+)/g)) {
    const full = m[1] as string;
    if (SYSTEM_TABLES.has(full)) continue;
    const [db, table] = full.includes('.') ? (full.split('.', 2) as [string, string]) : [database, full];
    if (db === database && Object.hasOwn(ANALYST_TABLES, table)) continue;
    closedTable(full);
  }
}
