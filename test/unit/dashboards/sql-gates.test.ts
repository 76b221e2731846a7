import { describe, expect, it } from 'vitest';
import { checkAst, checkTableName, deniedFunction, type TableContext } from '../../../dashboards/sql-ast.ts';
import { FairQueue } from '../../../dashboards/sql-queue.ts';
import { cteNames, singleStatement } from '../../../dashboards/sql-text.ts';

describe('singleStatement: heredocs, quotes, comments', () => {
  it.each([
    ['SELECT $$a;b$$', 'SELECT $$a;b$$'],
    ['SELECT $tag$a;b$tag$;', 'SELECT $tag$a;b$tag$'],
    ['SELECT $x$ $$; $$ $x$ -- end', 'SELECT $x$ $$; $$ $x$ -- end'],
    ['SELECT \'a;b\', "c;d", `e;f` /* ; */ -- ;\n', 'SELECT \'a;b\', "c;d", `e;f` /* ; */ -- ;'],
    ['SELECT 1 /* a /* ; */ ; */', 'SELECT 1 /* a /* ; */ ; */'],
    ["SELECT 'it''s;' ;  -- trailing", "SELECT 'it''s;'"],
    ['SELECT $$ SETTINGS $$', 'SELECT $$ SETTINGS $$'],
  ])('%s is one statement', (sql, stmt) => {
    expect(singleStatement(sql)).toBe(stmt);
  });

  it.each([
    ['SELECT $$a$$; DROP TABLE t', /one statement/],
    ['SELECT $t$a$t$; SELECT 2', /one statement/],
    ['SELECT 1; ; DROP TABLE t', /one statement/],
    ["SELECT '$$'; SELECT $$'$$", /one statement/],
    ['SELECT $$a', /not closed/],
    ['SELECT $a$x$A$', /not closed/],
    ['SELECT a$b$; DROP TABLE t; SELECT $b$', /"\$" may only start/],
    ['SELECT 1$b$; DROP TABLE t $b$', /"\$" may only start/],
    ['SELECT `a\nTableIdentifier v_surveys`', /quoted name/],
    ['SELECT "a\\nb"', /quoted name/],
    ['SELECT 1 SETTINGS readonly = 0', /SETTINGS/],
    ['  ;', /empty/],
    ['-- nothing', /empty/],
  ])('%s is refused', (sql, message) => {
    expect(() => singleStatement(sql)).toThrow(message);
  });

  it('finds the CTE names, quoted text ignored', () => {
    expect([...cteNames("WITH a AS (SELECT 1), b (x, y) AS (SELECT 1, 2) SELECT 'c AS (' FROM a")]).toEqual([
      'a',
      'b',
    ]);
  });
});

/** A small `EXPLAIN AST` printout, as the engine indents it. */
const ast = (...lines: string[]) => lines.join('\n');
const select = (...tables: string[]) =>
  ast(
    'SelectWithUnionQuery (children 1)',
    ' ExpressionList (children 1)',
    '  SelectQuery (children 2)',
    '   ExpressionList (children 1)',
    '    Asterisk',
    `   TablesInSelectQuery (children ${tables.length})`,
    ...tables.flatMap((t) => [
      '    TablesInSelectQueryElement (children 1)',
      '     TableExpression (children 1)',
      `      ${t}`,
    ]),
  );
const ctx = (ctes: string[] = []): TableContext => ({
  database: 'cx',
  tableFunctions: new Set(['numbers', 'merge', 'view', 'file', 'dictionary']),
  ctes: new Set(ctes),
  existing: new Set(['v_interactions', 'sql_audit', 'rollup_state', 'a_dict']),
});

describe('the table check over EXPLAIN AST', () => {
  it.each([
    ['an allowlisted view', 'TableIdentifier v_interactions', []],
    ['qualified with the analyst database', 'TableIdentifier cx.v_interactions (alias i)', []],
    ['system.one', 'TableIdentifier system.one', []],
    ['a CTE', 'TableIdentifier t', ['t']],
    ['a generator', 'Function numbers (children 1)', []],
  ])('allows %s', (_what, line, ctes) => {
    expect(() => checkAst(select(line), ctx(ctes))).not.toThrow();
  });

  it.each([
    ['a closed table', 'TableIdentifier sql_audit', [], /sql_audit is not open/],
    ['a closed table behind an alias', 'TableIdentifier sql_audit (alias v_interactions)', [], /sql_audit/],
    ['a CTE named like a closed table', 'TableIdentifier sql_audit', ['sql_audit'], /sql_audit is not open/],
    ['an unknown name that is no CTE', 'TableIdentifier whatever', [], /whatever is not open/],
    ['another database', 'TableIdentifier default.v_interactions', [], /default\.v_interactions/],
    ['system.tables', 'TableIdentifier system.tables', [], /system\.tables/],
    ['a file path', 'TableIdentifier /etc/passwd', [], /not open/],
    ['three parts', 'TableIdentifier a.b.c', [], /not open/],
    ['a dictionary', 'TableIdentifier a_dict', [], /a_dict is not open/],
    ['merge()', 'Function merge (children 1)', [], /merge\(\) is not allowed/],
    ['view()', 'Function view (children 1)', [], /view\(\) is not allowed/],
  ])('refuses %s', (_what, line, ctes, message) => {
    expect(() => checkAst(select(line), ctx(ctes))).toThrow(message);
  });

  it('refuses a closed table in a scalar sub-query and right of IN, deep down', () => {
    const scalar = ast(
      'SelectWithUnionQuery (children 1)',
      ' ExpressionList (children 1)',
      '  SelectQuery (children 1)',
      '   ExpressionList (children 2)',
      '    Subquery (children 1)',
      '     SelectWithUnionQuery (children 1)',
      '      ExpressionList (children 1)',
      '       SelectQuery (children 2)',
      '        ExpressionList (children 1)',
      '         Function toUInt64 (children 1)',
      '          ExpressionList (children 1)',
      '           Identifier sql',
      '        TablesInSelectQuery (children 1)',
      '         TablesInSelectQueryElement (children 1)',
      '          TableExpression (children 1)',
      '           TableIdentifier sql_audit',
      '    Function globalNotIn (children 1)',
      '     ExpressionList (children 2)',
      '      Identifier x',
      '      Identifier rollup_state',
    );
    expect(() => checkAst(scalar, ctx())).toThrow(/sql_audit is not open/);
    expect(() => checkAst(scalar.replace('sql_audit', 'v_interactions'), ctx())).toThrow(
      /rollup_state is not open/,
    );
    expect(() =>
      checkAst(scalar.replace('sql_audit', 'v_interactions').replace('rollup_state', 'col'), ctx()),
    ).not.toThrow();
  });

  it('right of IN: a closed table, qualified or not, is refused; a column is not', () => {
    expect(() => checkTableName('sql_audit', ctx(), true)).toThrow(/not open/);
    expect(() => checkTableName('cx.sql_audit', ctx(), true)).toThrow(/not open/);
    expect(() => checkTableName('customer_id', ctx(), true)).not.toThrow();
  });

  it('denies the functions that read the server, files or dictionaries, in any case', () => {
    for (const f of [
      'dictGet',
      'DICTGETSTRING',
      'dictHas',
      'getSetting',
      'getSettingOrDefault',
      'hostName',
      'hostname',
      'FQDN',
      'getMacro',
      'serverUUID',
      'currentUser',
      'uptime',
      'version',
      'tcpPort',
      'getServerPort',
      'currentProfiles',
      'currentRoles',
      'enabledRoles',
      'filesystemFree',
      'getOSKernelVersion',
      'buildId',
      'displayName',
      'initialQueryID',
      'queryID',
      'shardNum',
      'shardCount',
      'getClientHTTPHeader',
      'file',
      'joinGet',
      'hasColumnInTable',
      '__getScalar',
      'sleep',
    ])
      expect(deniedFunction(f), f).toBe(true);
    for (const f of ['count', 'currentDatabase', 'toUInt64', 'throwIf', 'now', 'quantile'])
      expect(deniedFunction(f), f).toBe(false);
  });
});

describe('FairQueue', () => {
  it('one caller never takes every slot; another caller starts at once', async () => {
    const q = new FairQueue(2, 1, 60_000);
    const a1 = await q.acquire('a');
    let a2Started = false;
    const a2 = q.acquire('a').then((r) => ((a2Started = true), r));
    const b1 = await q.acquire('b');
    expect(a2Started).toBe(false);
    expect(q.load).toEqual({ running: 2, waiting: 1 });
    a1();
    (await a2)();
    b1();
    expect(q.load).toEqual({ running: 0, waiting: 0 });
  });

  it('a wait past the bound fails with sql_busy and when to retry; an abort leaves the queue', async () => {
    const q = new FairQueue(1, 1, 50);
    const held = await q.acquire('a');
    await expect(q.acquire('b')).rejects.toMatchObject({
      code: 'sql_busy',
      details: { retry_after_seconds: 1 },
    });
    const ac = new AbortController();
    const gone = q.acquire('c', ac.signal);
    ac.abort();
    await expect(gone).rejects.toThrow(/went away/);
    expect(q.load).toEqual({ running: 1, waiting: 0 });
    held();
  });
});
