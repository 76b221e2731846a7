import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../cli/runtime.ts';
import { toRow } from '../../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../../ingest/sink.ts';
import { createSandbox } from '../../../infra/clickhouse.ts';
import { dashboardServer, TOKENS } from '../../helpers/dashboard.ts';
import { rand } from '../../helpers/env.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * The analysts' SQL against the real engine, as an attacker and as a heavy user: no part of a query
 * over a closed table runs (the secret never appears in an answer, a throwIf in it never fires), the
 * engine's limits on memory, rows read and time each fail a query built to pass them with a 422 naming
 * the setting, threads are capped, ingestion writes meanwhile, and one caller's long query neither
 * blocks another caller nor lets its owner queue forever.
 */

let rt: Runtime;
let base: string;
const SECRET = `SECRET-${rand()}-MARK`;
const OTHER_DB = `other_${rand()}`;

const db = () => rt.cfg.clickhouse.database;

beforeAll(async () => {
  ({ rt, base } = await dashboardServer({
    SQL_MAX_MEMORY_MB: '256',
    SQL_MAX_ROWS_READ: '100000000',
    SQL_MAX_THREADS: '1',
    SQL_TIMEOUT_SECONDS: '4',
    SQL_CONCURRENCY: '2',
    SQL_QUEUE_WAIT_SECONDS: '1',
  }));
  const ch = rt.clickhouse!;
  // a closed table the test writes the secret into, one in another database, and the secret in the audit
  await ch.command({
    query: `CREATE TABLE ${db()}.secret_notes (note String) ENGINE = MergeTree ORDER BY note`,
  });
  await ch.command({ query: `INSERT INTO ${db()}.secret_notes VALUES ('${SECRET}')` });
  await ch.command({ query: `CREATE DATABASE ${OTHER_DB}` });
  await ch.command({
    query: `CREATE TABLE ${OTHER_DB}.notes (note String) ENGINE = MergeTree ORDER BY note`,
  });
  await ch.command({ query: `INSERT INTO ${OTHER_DB}.notes VALUES ('${SECRET}')` });
  const res = await sql({ sql: `SELECT '${SECRET}' AS previous_analysts_query` }, TOKENS.editor);
  expect(res.status).toBe(200);
}, 240_000);
afterAll(async () => {
  await rt?.clickhouse?.command({ query: `DROP DATABASE IF EXISTS ${OTHER_DB}` });
  await rt?.close();
});

function sql(body: unknown, token: string = TOKENS.analyst): Promise<Response> {
  return fetch(`${base}/api/v1/sql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function count(table: string): Promise<number> {
  const rs = await rt.clickhouse!.query({
    query: `SELECT count() FROM ${table}`,
    format: 'JSONCompactEachRow',
  });
  return Number((await rs.json<[string]>())[0]?.[0]);
}

describe('a closed table is never read, not even by the check', () => {
  const FIRED = 'THROWIF-FIRED';
  const PROBES: [string, string][] = [
    ['the reported exfiltration', 'SELECT (SELECT toUInt64(sql) FROM sql_audit ORDER BY at DESC LIMIT 1)'],
    ['a scalar sub-query cast', 'SELECT (SELECT toUInt64(note) FROM secret_notes LIMIT 1)'],
    ['a scalar in WITH', 'WITH (SELECT any(note) FROM secret_notes) AS s SELECT toUInt64(s)'],
    ['a CTE', 'WITH t AS (SELECT note FROM secret_notes) SELECT toUInt64(note) FROM t'],
    ['a CTE named like the closed table', 'WITH secret_notes AS (SELECT 1 AS x) SELECT * FROM secret_notes'],
    ['IN (SELECT …)', 'SELECT 1 WHERE 1 IN (SELECT toUInt64(note) FROM secret_notes)'],
    ['IN table', 'SELECT count() FROM v_interactions WHERE interaction_id IN secret_notes'],
    ['IN (table)', 'SELECT count() FROM v_interactions WHERE interaction_id IN (secret_notes)'],
    ['GLOBAL NOT IN db.table', `SELECT 1 WHERE 'x' GLOBAL NOT IN ${OTHER_DB}.notes`],
    ['EXISTS', 'SELECT 1 WHERE EXISTS (SELECT toUInt64(note) FROM secret_notes)'],
    ['a JOIN', 'SELECT count() FROM v_interactions AS i JOIN secret_notes AS s ON toUInt64(s.note) = 1'],
    ['a sub-query in FROM', 'SELECT toUInt64(note) FROM (SELECT note FROM secret_notes)'],
    [
      'a sub-query in WHERE over numbers',
      'SELECT * FROM numbers(1) WHERE (SELECT toUInt64(note) FROM secret_notes) = 1',
    ],
    ['a generator argument', "SELECT * FROM values('a UInt64', (SELECT toUInt64(note) FROM secret_notes))"],
    ['a quoted name', 'SELECT toUInt64(note) FROM `secret_notes`'],
    ['a qualified name', 'SELECT toUInt64(note) FROM DB.secret_notes'],
    ['another database', `SELECT toUInt64(note) FROM ${OTHER_DB}.notes`],
    ['system.tables', "SELECT (SELECT toUInt64(name) FROM system.tables WHERE name = 'secret_notes')"],
    ['system.query_log', 'SELECT toUInt64(query) FROM system.query_log'],
    ['merge()', "SELECT toUInt64(note) FROM merge(currentDatabase(), '^secret')"],
    ['view()', 'SELECT toUInt64(note) FROM view(SELECT note FROM secret_notes)'],
    [
      'viewIfPermitted()',
      "SELECT * FROM viewIfPermitted(SELECT note FROM secret_notes ELSE null('note String'))",
    ],
    ['dictGet', "SELECT dictGet('secret_dict', 'note', toUInt64(1))"],
    ['dictGetString', "SELECT dictGetString('secret_dict', 'note', toUInt64(1))"],
    ['joinGet', "SELECT joinGet('secret_notes', 'note', 1)"],
    ['throwIf fed by a closed table', 'SELECT throwIf(1, (SELECT any(note) FROM secret_notes))'],
    [
      'throwIf inside the closed sub-query',
      `SELECT (SELECT count() FROM secret_notes WHERE throwIf(1, '${FIRED}'))`,
    ],
    ['getSetting', "SELECT getSetting('max_threads')"],
    ['hostName', 'SELECT hostName()'],
    ['a heredoc hiding a scalar', 'SELECT $$x$$, (SELECT toUInt64(note) FROM secret_notes)'],
  ];

  it.each(PROBES)('%s', async (_what, query) => {
    const q = query.replaceAll('DB.', `${db()}.`);
    const res = await sql({ sql: q, format: 'json' });
    const text = await res.text();
    // refused by the check of EXPLAIN AST, before anything of the query ran
    expect(res.status, text).toBe(403);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(FIRED);
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('sql_refused');
  });

  it('an error of an allowed query keeps its name and drops the values it quotes', async () => {
    const first = (await (
      await sql({ sql: 'SELECT interaction_id FROM v_interactions ORDER BY interaction_id LIMIT 1' })
    ).json()) as { rows: [string][] };
    const id = first.rows[0]![0];
    const res = await sql({
      sql: `SELECT toUInt64(interaction_id) FROM v_interactions WHERE interaction_id = '${id}'`,
    });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('sql_failed');
    expect(body.error.message).toMatch(/^CANNOT_PARSE/);
    expect(body.error.message).not.toContain(`'${id}'`);
    expect(body.error.message).not.toMatch(/In scope|while executing/i);
  });

  it('the closed tables still hold the secret (the probes had something to find)', async () => {
    expect(await count(`${db()}.secret_notes`)).toBe(1);
    const rs = await rt.clickhouse!.query({
      query: `SELECT count() FROM ${db()}.sql_audit WHERE position(sql, {s:String}) > 0`,
      query_params: { s: SECRET },
      format: 'JSONCompactEachRow',
    });
    expect(Number((await rs.json<[string]>())[0]?.[0])).toBeGreaterThan(0);
  });
});

/** Writes one interaction event through the ingest path's sink; resolves when it is stored. */
let written = 0;
async function ingestOne(): Promise<void> {
  const n = written++;
  const { table, row } = toRow(
    {
      event_id: `guard-${process.pid}-${n}`,
      type: 'interaction.opened',
      occurred_at: new Date().toISOString(),
      interaction_id: `i-guard-${process.pid}-${n}`,
      customer_id: 'c-guard',
      channel: 'chat',
      category: 'inquiry',
      priority: 'normal',
      schema_version: 1,
    } as Parameters<typeof toRow>[0],
    { topic: 't', partition: 0, offset: String(n) },
  );
  await new ClickHouseSink(rt.clickhouse!, db()).write({ rows: { [table]: [rowLine(row)] }, dlq: [] });
}

/** Run `query` while the ingest path writes one event after another; how many were stored before it answered. */
async function whileIngesting(
  query: string,
): Promise<{ status: number; body: string; writesBefore: number }> {
  let done = false;
  let writes = 0;
  const writer = (async () => {
    while (!done) {
      await ingestOne();
      writes++;
    }
  })();
  const res = await sql({ sql: query });
  const body = await res.text();
  const writesBefore = writes;
  done = true;
  await writer;
  return { status: res.status, body, writesBefore };
}

const SLOW =
  'SELECT count() FROM numbers(90000000) WHERE arraySum(arrayMap(x -> sipHash64(number, x), range(20))) % 7 = 3';

describe('limits: each one fails its query with a 422 naming it, while ingestion writes', () => {
  it.each([
    [
      'memory',
      'SELECT uniqExact(number) FROM numbers(50000000)',
      /memory limit \(max_memory_usage: 256 MiB; SQL_MAX_MEMORY_MB raises it\).*MEMORY_LIMIT_EXCEEDED/,
    ],
    [
      'rows read',
      'SELECT count() FROM numbers_mt(100000000000)',
      /rows read limit \(max_rows_to_read: 100000000 rows; SQL_MAX_ROWS_READ raises it\).*TOO_MANY_ROWS/,
    ],
    ['time', SLOW, /time limit \(max_execution_time: 4 s; SQL_TIMEOUT_SECONDS raises it\).*TIMEOUT_EXCEEDED/],
  ])(
    '%s',
    async (_limit, query, message) => {
      const before = await count(`${db()}.interaction_events`);
      const stored = written;
      const { status, body, writesBefore } = await whileIngesting(query);
      expect(status, body).toBe(422);
      const error = (JSON.parse(body) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('sql_limit');
      expect(error.message).toMatch(message);
      expect(writesBefore).toBeGreaterThan(0);
      expect(await count(`${db()}.interaction_events`)).toBe(before + (written - stored));
    },
    120_000,
  );

  it('threads: a sandbox session plans a query on SQL_MAX_THREADS threads, where the engine would use more', async () => {
    const sandbox = createSandbox(rt.cfg.clickhouse, rt.cfg.sql);
    try {
      const plan = await sandbox.text('EXPLAIN PIPELINE SELECT count() FROM numbers_mt(10000000)');
      expect(plan).toMatch(/NumbersRange/);
      expect(plan).not.toMatch(/×/);
    } finally {
      await sandbox.close();
    }
    const rs = await rt.clickhouse!.query({
      query: 'EXPLAIN PIPELINE SELECT count() FROM numbers_mt(10000000) SETTINGS max_threads = 4',
      format: 'TabSeparatedRaw',
    });
    expect(await rs.text()).toMatch(/× 4/);
  });
});

describe('turns: one caller cannot hold up another', () => {
  it("a long query does not delay a second caller's short one; its owner's next query waits a bounded time", async () => {
    const svc = await rt.sqlService();
    const order: string[] = [];
    const long = sql({ sql: SLOW }).then(
      async (r) => (order.push('long'), { status: r.status, body: await r.text() }),
    );
    await waitFor(
      'the long query running',
      async () => svc.load,
      (l) => l.running === 1,
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    // the same caller again: it may hold only one of the two slots, so it waits, then is told to come back
    const again = sql({ sql: 'SELECT 1' }).then(async (r) => (order.push('again'), r));
    // another caller: the free slot is theirs at once
    const other = await sql({ sql: 'SELECT count() FROM v_interactions' }, TOKENS.editor);
    order.push('other');
    expect(other.status, await other.clone().text()).toBe(200);
    const busy = await again;
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('sql_busy');
    const done = await long;
    expect(done.status, done.body).toBe(422);
    expect(order.indexOf('other')).toBeLessThan(order.indexOf('long'));
    expect(order.indexOf('again')).toBeLessThan(order.indexOf('long'));
    expect(svc.load).toEqual({ running: 0, waiting: 0 });
  }, 120_000);
});
