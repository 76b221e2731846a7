import { existsSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../cli/runtime.ts';
import { ClickHouseSink, rowLine } from '../../../ingest/sink.ts';
import { toRow } from '../../../ingest/rows.ts';
import { dashboardServer, TOKENS } from '../../helpers/dashboard.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * The analysts' SQL against the real engine: what is refused (each case with a clear 4xx and no
 * effect), that ingestion still writes after any of it, limits that fail clearly, a disconnect that
 * stops the query, Arrow equal to JSON, and the audit of every query.
 */

let rt: Runtime;
let base: string;
const OUTFILE = `/tmp/cxpulse-outfile-${process.pid}.csv`;

beforeAll(async () => {
  ({ rt, base } = await dashboardServer({
    SQL_MAX_ROWS: '50000000',
    SQL_MAX_JSON_ROWS: '100',
    SQL_TIMEOUT_SECONDS: '3',
  }));
}, 240_000);
afterAll(() => rt?.close());

const sql = (body: unknown, token: string = TOKENS.analyst, signal?: AbortSignal) =>
  fetch(`${base}/api/v1/sql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });

async function scalar(query: string): Promise<number> {
  const rs = await rt.clickhouse!.query({ query, format: 'JSONCompactEachRow' });
  return Number((await rs.json<[string]>())[0]?.[0] ?? NaN);
}

const db = () => rt.cfg.clickhouse.database;

describe('refused, with a clear 4xx and no effect', () => {
  const REFUSED: [string, string, RegExp][] = [
    ['INSERT', "INSERT INTO process_changes (id, title) VALUES ('x', 'y')", /not INSERT/],
    ['ALTER', 'ALTER TABLE interaction_events DELETE WHERE 1', /not ALTER/],
    ['DROP', 'DROP TABLE interaction_events', /not DROP/],
    ['CREATE', 'CREATE TABLE evil (a Int8) ENGINE = Memory', /not CREATE/],
    ['TRUNCATE', 'TRUNCATE TABLE interaction_events', /not (DROP or TRUNCATE|TRUNCATE)/],
    ['OPTIMIZE', 'OPTIMIZE TABLE interaction_events FINAL', /not OPTIMIZE/],
    ['SYSTEM', 'SYSTEM DROP MARK CACHE', /not SYSTEM/],
    ['KILL', 'KILL QUERY WHERE 1', /not KILL/],
    ['SET', 'SET max_result_rows = 0', /not SET/],
    ['GRANT', 'GRANT SELECT ON *.* TO default', /not GRANT/],
    ['several statements', 'SELECT 1; DROP TABLE interaction_events', /one statement at a time/],
    ['several selects', 'SELECT 1; SELECT 2', /one statement at a time/],
    [
      'SETTINGS raising a limit',
      'SELECT * FROM v_interactions SETTINGS max_result_rows = 0',
      /SETTINGS are not allowed/,
    ],
    ['SETTINGS readonly', 'SELECT 1 SETTINGS readonly = 0', /SETTINGS are not allowed/],
    [
      'SETTINGS in a sub-query',
      'SELECT * FROM (SELECT 1 SETTINGS max_execution_time = 0)',
      /SETTINGS are not allowed/,
    ],
    ['file()', "SELECT * FROM file('/etc/passwd', 'LineAsString')", /file\(\) is not allowed/],
    ['url()', "SELECT * FROM url('http://127.0.0.1:1/x.csv', 'CSV', 'a String')", /url\(\) is not allowed/],
    ['s3()', "SELECT * FROM s3('http://127.0.0.1:1/b/x.csv', 'CSV', 'a String')", /s3\(\) is not allowed/],
    ['remote()', "SELECT * FROM remote('127.0.0.1', system.one)", /remote\(\) is not allowed/],
    ['mysql()', "SELECT * FROM mysql('127.0.0.1:3306', 'd', 't', 'u', 'p')", /mysql\(\) is not allowed/],
    [
      'postgresql()',
      "SELECT * FROM postgresql('127.0.0.1:5432', 'd', 't', 'u', 'p')",
      /postgresql\(\) is not allowed/,
    ],
    [
      'executable()',
      "SELECT * FROM executable('evil.sh', 'CSV', 'a String')",
      /executable\(\) is not allowed/,
    ],
    ['input()', "SELECT * FROM input('a String')", /input\(\) is not allowed/],
    ['merge()', "SELECT * FROM merge(currentDatabase(), '.*')", /merge\(\) is not allowed/],
    ['cluster()', "SELECT * FROM cluster('default', system.one)", /cluster\(\) is not allowed/],
    ['view() over a closed table', 'SELECT * FROM view(SELECT * FROM sql_audit)', /is not allowed|not open/],
    [
      'file() in a CTE',
      "WITH t AS (SELECT * FROM file('/etc/passwd', 'LineAsString')) SELECT * FROM t",
      /file\(\) is not allowed/,
    ],
    [
      'file() in a sub-query',
      "SELECT count() FROM v_interactions WHERE customer_id IN (SELECT line FROM file('/etc/passwd', 'LineAsString'))",
      /file\(\) is not allowed/,
    ],
    ['scalar file()', "SELECT file('/etc/passwd')", /file\(\) is not allowed/],
    [
      'scalar file() in a CTE',
      "WITH (SELECT file('/etc/hostname')) AS h SELECT h",
      /file\(\) is not allowed/,
    ],
    ['system.tables', 'SELECT * FROM system.tables', /system\.tables is not open/],
    ['system.users', 'SELECT name FROM system.users', /system\.users is not open/],
    ['the audit table', 'SELECT * FROM sql_audit', /sql_audit is not open/],
    ['a table outside the allowlist', 'SELECT * FROM schema_migrations', /schema_migrations is not open/],
    [
      'a closed table in a CTE',
      'WITH a AS (SELECT * FROM rollup_state) SELECT * FROM a',
      /rollup_state is not open/,
    ],
    [
      'IN a closed table',
      'SELECT 1 FROM v_interactions WHERE interaction_id IN sql_audit',
      /sql_audit is not open/,
    ],
    ['another database', 'SELECT * FROM default.anything', /not open|does not exist|Unknown/],
    ['INTO OUTFILE', `SELECT * FROM v_interactions INTO OUTFILE '${OUTFILE}'`, /INTO OUTFILE is not allowed/],
    ['FORMAT in the query', 'SELECT 1 FORMAT JSON', /FORMAT is not allowed/],
    ['a syntax error', 'SELEC 1', /Syntax error/i],
  ];

  it.each(REFUSED)('%s', async (_what, query, message) => {
    const tables = await scalar(`SELECT count() FROM system.tables WHERE database = '${db()}'`);
    const changes = await scalar(`SELECT count() FROM ${db()}.process_changes`);
    const events = await scalar(`SELECT count() FROM ${db()}.interaction_events`);
    const res = await sql({ sql: query, format: 'json' });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect([400, 403], JSON.stringify(body)).toContain(res.status);
    expect(body.error.code).toMatch(/^sql_(refused|invalid)$/);
    expect(body.error.message).toMatch(message);
    expect(await scalar(`SELECT count() FROM system.tables WHERE database = '${db()}'`)).toBe(tables);
    expect(await scalar(`SELECT count() FROM ${db()}.process_changes`)).toBe(changes);
    expect(await scalar(`SELECT count() FROM ${db()}.interaction_events`)).toBe(events);
    expect(existsSync(OUTFILE)).toBe(false);
  });

  it('viewers may not run SQL at all; analysts may', async () => {
    expect((await sql({ sql: 'SELECT 1' }, TOKENS.viewer)).status).toBe(403);
    expect((await sql({ sql: 'SELECT 1' }, 'nobody')).status).toBe(401);
    expect((await sql({ sql: 'SELECT 1' })).status).toBe(200);
  });

  it('allowed: the documented views, generators, CTEs and sub-queries over them', async () => {
    for (const q of [
      'SELECT channel, count() AS n FROM v_interactions GROUP BY channel ORDER BY channel',
      'WITH c AS (SELECT customer_id FROM v_customers) SELECT count() FROM v_surveys WHERE customer_id IN (SELECT customer_id FROM c)',
      "SELECT metric, sum(n) FROM v_kpi_daily WHERE grouped_by = [] AND metric = 'fcr' GROUP BY metric",
      'SELECT number FROM numbers(3)',
      'SELECT count() FROM interaction_events FINAL',
    ]) {
      const res = await sql({ sql: q });
      expect(res.status, `${q}: ${await res.clone().text()}`).toBe(200);
    }
  });

  it('after all of that, ingestion still writes (the sandbox has its own connection)', async () => {
    const before = await scalar(`SELECT count() FROM ${db()}.interaction_events`);
    const { table, row } = toRow(
      {
        event_id: `after-sql-${process.pid}`,
        type: 'interaction.opened',
        occurred_at: new Date().toISOString(),
        interaction_id: `i-after-sql-${process.pid}`,
        customer_id: 'c-after-sql',
        channel: 'chat',
        category: 'inquiry',
        priority: 'normal',
        schema_version: 1,
      } as Parameters<typeof toRow>[0],
      { topic: 't', partition: 0, offset: '1' },
    );
    await new ClickHouseSink(rt.clickhouse!, db()).write({ rows: { [table]: [rowLine(row)] }, dlq: [] });
    expect(await scalar(`SELECT count() FROM ${db()}.interaction_events`)).toBe(before + 1);
  });
});

describe('limits fail clearly; a disconnect stops the query', () => {
  it('a JSON answer over SQL_MAX_JSON_ROWS fails and says what to do', async () => {
    const res = await sql({ sql: 'SELECT number FROM numbers(1000)', format: 'json' });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'sql_limit' });
    expect(body.error.message).toMatch(/more than 100 rows.*csv or arrow/);
  });

  it('a result over SQL_MAX_ROWS fails, never cut short: an error or a broken stream', async () => {
    const res = await sql({ sql: 'SELECT number FROM numbers(60000000)', format: 'csv' });
    if (res.status === 200) {
      // the limit struck after the first bytes: the stream must end in an error, not a clean end
      await expect(res.text()).rejects.toThrow();
    } else {
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
        /Limit for result exceeded/,
      );
    }
  });

  it('a query over SQL_TIMEOUT_SECONDS fails with the timeout named', async () => {
    const res = await sql({
      // under SQL_MAX_ROWS_READ (1e9 by default), so that time is the limit it passes
      sql: 'SELECT count() FROM numbers(900000000) WHERE sipHash64(number) % 7 = 3',
      format: 'json',
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Timeout exceeded/);
  });

  it('a client that disconnects stops its query (audited as cancelled, part of the rows sent)', async () => {
    const ac = new AbortController();
    const marker = `disconnect-${process.pid}-${Date.now()}`;
    const res = await sql(
      { sql: `SELECT number, '${marker}' AS m FROM numbers(45000000)`, format: 'csv' },
      TOKENS.analyst,
      ac.signal,
    );
    expect(res.status, res.status === 200 ? '' : await res.text()).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    const audit = await waitFor(
      'the audit row of the cancelled query',
      async () => {
        const rs = await rt.clickhouse!.query({
          query: `SELECT outcome, rows FROM ${db()}.sql_audit WHERE position(sql, {m:String}) > 0`,
          query_params: { m: marker },
          format: 'JSONEachRow',
        });
        return rs.json<{ outcome: string; rows: string }>();
      },
      (rows) => rows.length > 0,
      { timeoutMs: 30_000 },
    );
    expect(audit[0]!.outcome).toBe('cancelled');
    expect(Number(audit[0]!.rows)).toBeLessThan(45_000_000);
    // the sandbox is free again at once (one stream at a time: a query still running would block this)
    expect((await sql({ sql: 'SELECT 1' })).status).toBe(200);
  });
});

describe('formats', () => {
  const Q = `SELECT interaction_id, day, opened_at, channel, responded, first_response_seconds,
               toUInt64(n) AS big, toInt32(-5) AS neg, if(n % 2 = 0, NULL, 'odd') AS maybe
             FROM (SELECT *, rowNumberInAllBlocks() AS n FROM v_interactions ORDER BY interaction_id LIMIT 60)
             ORDER BY interaction_id`;

  it('Arrow read back with apache-arrow equals the JSON answer, types included', async () => {
    const json = (await (await sql({ sql: Q, format: 'json' })).json()) as {
      columns: { name: string; type: string }[];
      rows: unknown[][];
    };
    const res = await sql({ sql: Q, format: 'arrow' });
    expect(res.headers.get('content-type')).toMatch(/apache\.arrow\.stream/);
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.numRows).toBe(json.rows.length);
    expect(table.schema.fields.map((f) => f.name)).toEqual(json.columns.map((c) => c.name));
    // ClickHouse type (JSON) → Arrow type, as ClickHouse's ArrowStream maps them
    const ARROW: Record<string, RegExp> = {
      String: /^(Utf8|Binary|Dictionary)/,
      'LowCardinality(String)': /^(Utf8|Dictionary)/,
      Date: /^Date/,
      "DateTime64(3, 'UTC')": /^Timestamp/,
      Bool: /^Bool/,
      'Nullable(Float64)': /^Float64/,
      UInt64: /^Uint64/,
      Int32: /^Int32/,
      'Nullable(String)': /^(Utf8|Binary)/,
    };
    json.columns.forEach((c, i) => {
      const field = table.schema.fields[i]!;
      expect(String(field.type), `${c.name}: ${c.type}`).toMatch(ARROW[c.type] ?? /^$/);
      expect(field.nullable || !c.type.startsWith('Nullable'), c.name).toBe(true);
    });
    const norm = (type: string, v: unknown): unknown => {
      if (v === null || v === undefined) return null;
      if (type === 'Date') return typeof v === 'number' ? new Date(v).toISOString().slice(0, 10) : v;
      if (type.startsWith('DateTime64'))
        return typeof v === 'number' ? new Date(v).toISOString().slice(0, 23).replace('T', ' ') : v;
      if (type === 'UInt64' || type === 'Int32') return String(v);
      if (v instanceof Uint8Array) return new TextDecoder().decode(v);
      if (typeof v === 'boolean') return v;
      return v;
    };
    json.rows.forEach((row, r) => {
      const got = table.get(r)!.toJSON() as Record<string, unknown>;
      json.columns.forEach((c, i) => {
        expect(norm(c.type, got[c.name]), `row ${r} ${c.name}`).toEqual(norm(c.type, row[i]));
      });
    });
  });

  it('a result of many engine chunks is one output: the header once, one whole Arrow stream', async () => {
    const q = 'SELECT number AS n, toString(number) AS s FROM numbers(300000)';
    const csv = (await (await sql({ sql: q, format: 'csv' })).text()).trim().split('\n');
    expect(csv.length).toBe(300_001);
    expect(csv.filter((l) => l === '"n","s"')).toHaveLength(1);
    expect(csv.at(-1)).toBe('299999,"299999"');
    const arrow = tableFromIPC(new Uint8Array(await (await sql({ sql: q, format: 'arrow' })).arrayBuffer()));
    expect(arrow.numRows).toBe(300_000);
    expect(arrow.get(299_999)!.toJSON()).toEqual({ n: 299_999n, s: '299999' });
  });

  it('CSV has the header and the same rows', async () => {
    const csv = (
      await (
        await sql({ sql: 'SELECT number AS n, toString(number) AS s FROM numbers(5)', format: 'csv' })
      ).text()
    )
      .trim()
      .split('\n');
    expect(csv).toEqual(['"n","s"', '0,"0"', '1,"1"', '2,"2"', '3,"3"', '4,"4"']);
  });
});

describe('cxpulse query', () => {
  it('prints a table or streams CSV through the running server, and names a refusal', async () => {
    const { Writable } = await import('node:stream');
    const { runQuery } = await import('../../../cli/query.ts');
    let csv = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        csv += chunk.toString();
        cb();
      },
    });
    const cmd = { url: base, token: TOKENS.analyst, out };
    const text = await runQuery(rt.cfg, {
      ...cmd,
      sql: 'SELECT number AS n, number * 2 AS twice FROM numbers(3)',
      format: 'table',
    });
    expect(text.split('\n').map((l) => l.trim())).toEqual([
      'n  twice',
      '-  -----',
      '0  0',
      '1  2',
      '2  4',
      '(3 rows)',
      '',
    ]);
    await runQuery(rt.cfg, { ...cmd, sql: 'SELECT number AS n FROM numbers(2)', format: 'csv' });
    expect(csv).toBe('"n"\n0\n1\n');
    await expect(runQuery(rt.cfg, { ...cmd, sql: 'DROP TABLE v_surveys', format: 'table' })).rejects.toThrow(
      /not DROP/,
    );
  });
});

describe('audit', () => {
  it('records every query: who, the SQL, the outcome, rows and duration', async () => {
    const marker = `audit-${process.pid}`;
    await sql({ sql: `SELECT '${marker}' AS m FROM numbers(7)` });
    await sql({ sql: `SELECT '${marker}' FROM system.tables` });
    const rows = await waitFor(
      'audit rows',
      async () => {
        const rs = await rt.clickhouse!.query({
          query: `SELECT role, outcome, rows, format, error, caller FROM ${db()}.sql_audit
                  WHERE position(sql, {m:String}) > 0 ORDER BY at`,
          query_params: { m: marker },
          format: 'JSONEachRow',
        });
        return rs.json<Record<string, string>>();
      },
      (r) => r.length >= 2,
    );
    expect(rows[0]).toMatchObject({ role: 'analyst', outcome: 'ok', format: 'json', error: '' });
    expect(Number(rows[0]!['rows'])).toBe(7);
    expect(rows[1]).toMatchObject({ role: 'analyst', outcome: 'refused' });
    expect(rows[1]!['error']).toMatch(/system\.tables is not open/);
    expect(rows[0]!['caller']).toMatch(/^[0-9a-f]{8}$/);
  });
});
