import { createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../cli/runtime.ts';
import { runQuery } from '../../../cli/query.ts';
import { toRow } from '../../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../../ingest/sink.ts';
import { refreshRollups } from '../../../transforms/refresh.ts';
import { dashboardServer, TOKENS } from '../../helpers/dashboard.ts';

/**
 * Excel-friendly downloads against the real app and engine: a CSV starts with the UTF-8 byte-order
 * mark for a zh-CN reader (or `bom=1`) and not otherwise, and round-trips Chinese names; the xlsx of a
 * panel and of a SQL result opens with exceljs and equals the JSON rows; the xlsx row cap is a 422.
 */

let rt: Runtime;
let base: string;
const ZH = 'zh-CN,zh;q=0.9';
const EN = 'en-US,en;q=0.9';
const BOM = [0xef, 0xbb, 0xbf];
const TEAM = '华北一组';
const REGION = '华东区';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const day = (offset: number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(
    new Date(Date.now() + offset * 86_400_000),
  );
const PANEL = `/api/v1/metrics/csat?by=region&grain=day&from=${day(-3)}&to=${day(0)}`;

beforeAll(async () => {
  ({ rt, base } = await dashboardServer({ SQL_MAX_XLSX_ROWS: '50' }));
  // a customer in a Chinese region, an interaction of a Chinese team and its CSAT answer with a comment
  const at = new Date(Date.now() - 3_600_000).toISOString();
  const events = [
    { type: 'customer.upserted', customer_id: 'c-zh-1', segment: 'vip', region: REGION },
    {
      type: 'interaction.opened',
      interaction_id: 'i-zh-1',
      customer_id: 'c-zh-1',
      channel: 'phone',
      category: 'complaint',
      priority: 'high',
      team_id: TEAM,
      agent_id: '张伟',
      subject: '发票开错了',
    },
    {
      type: 'survey.responded',
      customer_id: 'c-zh-1',
      survey: 'csat',
      score: 5,
      interaction_id: 'i-zh-1',
      comment: '服务很好，谢谢！',
    },
  ];
  const rows: Record<string, string[]> = { interactions: [], surveys: [], customers: [] };
  events.forEach((e, i) => {
    const full = { event_id: `zh-${i}-${process.pid}`, occurred_at: at, schema_version: 1, ...e };
    const { table, row } = toRow(full as Parameters<typeof toRow>[0], {
      topic: 't',
      partition: 0,
      offset: String(i),
    });
    rows[table]!.push(rowLine(row));
  });
  const db = rt.cfg.clickhouse.database;
  await new ClickHouseSink(rt.clickhouse!, db).write({ rows, dlq: [] });
  await refreshRollups(rt.clickhouse!, rt.cfg, { overlapMs: 0 });
}, 240_000);
afterAll(() => rt?.close());

const get = (path: string, lang: string) =>
  fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKENS.viewer}`, 'accept-language': lang } });

const sql = (body: unknown, lang = EN, query = '') =>
  fetch(`${base}/api/v1/sql${query}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKENS.analyst}`,
      'content-type': 'application/json',
      'accept-language': lang,
    },
    body: JSON.stringify(body),
  });

const bytes = async (res: Response) => new Uint8Array(await res.arrayBuffer());
const startsWithBom = (b: Uint8Array) => BOM.every((x, i) => b[i] === x);
const bomCount = (b: Uint8Array) => {
  let n = 0;
  for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0xef && b[i + 1] === 0xbb && b[i + 2] === 0xbf) n++;
  return n;
};
const utf8 = (b: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: true, fatal: true }).decode(b);

async function sheetRows(res: Response): Promise<unknown[][]> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe(XLSX);
  expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="?[\w.-]+\.xlsx"?$/);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await res.arrayBuffer());
  expect(wb.worksheets).toHaveLength(1);
  const values = wb.worksheets[0]!.getSheetValues().slice(1) as unknown[][];
  // exceljs reads rows 1-based (index 0 empty), an empty cell as undefined and drops trailing empty
  // cells: as JSON, null, and every row as wide as the header
  const width = (values[0]?.length ?? 1) - 1;
  return values.map((r) => Array.from({ length: width }, (_, i) => r[i + 1] ?? null));
}

describe('CSV with a byte-order mark for Excel', () => {
  it('a zh-CN panel download starts with EF BB BF and round-trips the Chinese region name', async () => {
    const json = (await (await get(PANEL, ZH)).json()) as { rows: Record<string, unknown>[] };
    expect(json.rows.some((r) => r['region'] === REGION)).toBe(true);
    const res = await get(`${PANEL}&format=csv`, ZH);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const b = await bytes(res);
    expect(startsWithBom(b)).toBe(true);
    expect(bomCount(b)).toBe(1);
    const lines = utf8(b).trim().split('\r\n');
    expect(lines.length - 1).toBe(json.rows.length);
    expect(lines.some((l) => l.split(',').includes(REGION))).toBe(true);
  });

  it('an English request has no BOM; bom=1 forces it, bom=0 turns it off, anything else is a 400', async () => {
    const en = await bytes(await get(`${PANEL}&format=csv`, EN));
    expect(startsWithBom(en)).toBe(false);
    expect(utf8(en)).toMatch(/^period,/);
    expect(startsWithBom(await bytes(await get(`${PANEL}&format=csv&bom=1`, EN)))).toBe(true);
    expect(startsWithBom(await bytes(await get(`${PANEL}&format=csv&bom=true`, EN)))).toBe(true);
    expect(startsWithBom(await bytes(await get(`${PANEL}&format=csv&bom=0`, ZH)))).toBe(false);
    const bad = await get(`${PANEL}&format=csv&bom=yes`, EN);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^bom:/);
  });

  it('the SQL CSV streams the BOM first, once, then the Chinese names', async () => {
    const q = `SELECT team_id, agent_id, region FROM v_interactions WHERE interaction_id = 'i-zh-1'`;
    const zh = await bytes(await sql({ sql: q, format: 'csv' }, ZH));
    expect(startsWithBom(zh)).toBe(true);
    expect(bomCount(zh)).toBe(1);
    expect(utf8(zh)).toBe(`\ufeff"team_id","agent_id","region"\n"${TEAM}","张伟","${REGION}"\n`);
    const en = await bytes(await sql({ sql: q, format: 'csv' }, EN));
    expect(startsWithBom(en)).toBe(false);
    expect(startsWithBom(await bytes(await sql({ sql: q, format: 'csv' }, EN, '?bom=1')))).toBe(true);
    expect(startsWithBom(await bytes(await sql({ sql: q, format: 'csv' }, ZH, '?bom=0')))).toBe(false);
  });
});

describe('xlsx downloads equal the JSON rows', () => {
  it('a panel: header row, then every JSON row; numbers equal, Chinese text equal', async () => {
    const json = (await (await get(PANEL, ZH)).json()) as { rows: Record<string, unknown>[] };
    const sheet = await sheetRows(await get(`${PANEL}&format=xlsx`, ZH));
    const cols = [...new Set(json.rows.flatMap((r) => Object.keys(r)))];
    expect(sheet[0]).toEqual(cols);
    expect(sheet.slice(1)).toEqual(json.rows.map((r) => cols.map((c) => r[c] ?? null)));
    expect(sheet.some((r) => r.includes(REGION))).toBe(true);
  });

  it('the drill-down panel too: the Chinese agent name, dates as the JSON text', async () => {
    const path = `/api/v1/interactions?from=${day(-3)}&to=${day(0)}&team_id=${encodeURIComponent(TEAM)}`;
    const json = (await (await get(path, ZH)).json()) as { rows: Record<string, unknown>[] };
    expect(json.rows.length).toBeGreaterThan(0);
    const sheet = await sheetRows(await get(`${path}&format=xlsx`, ZH));
    const cols = sheet[0] as string[];
    expect(sheet.slice(1)).toEqual(json.rows.map((r) => cols.map((c) => r[c] ?? null)));
    expect(sheet.slice(1).some((r) => r.includes('张伟'))).toBe(true);
  });

  it('a SQL result: the same rows as JSON, numbers as numbers', async () => {
    const q = `SELECT team_id, region, count() AS n, avg(first_response_seconds) AS frt, max(opened_at) AS last
               FROM v_interactions WHERE team_id IN ('${TEAM}', 't1', 't2') GROUP BY team_id, region ORDER BY team_id, region LIMIT 20`;
    const json = (await (await sql({ sql: q, format: 'json' })).json()) as {
      columns: { name: string; type: string }[];
      rows: unknown[][];
    };
    expect(json.rows.length).toBeGreaterThan(0);
    const sheet = await sheetRows(await sql({ sql: q, format: 'xlsx' }));
    expect(sheet[0]).toEqual(json.columns.map((c) => c.name));
    const numeric = json.columns.map((c) => /Int|Float/.test(c.type));
    expect(sheet.slice(1)).toEqual(
      json.rows.map((r) => r.map((v, i) => (numeric[i] && v !== null ? Number(v) : v))),
    );
    expect(sheet.slice(1).some((r) => r[0] === TEAM && r[1] === REGION && r[2] === 1)).toBe(true);
  });

  it('more rows than SQL_MAX_XLSX_ROWS is a 422 naming the key, nothing half-built', async () => {
    const res = await sql({ sql: 'SELECT number FROM numbers(100)', format: 'xlsx' });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('sql_limit');
    expect(body.error.message).toMatch(/more than 50 rows.*SQL_MAX_XLSX_ROWS.*csv or arrow/);
    const ok = await sheetRows(await sql({ sql: 'SELECT number FROM numbers(50)', format: 'xlsx' }));
    expect(ok.slice(1)).toEqual(Array.from({ length: 50 }, (_, i) => [i]));
  });

  it('cxpulse query --format xlsx --output writes the same workbook', async () => {
    const file = `/tmp/cxpulse-query-${process.pid}.xlsx`;
    const out = createWriteStream(file);
    await runQuery(rt.cfg, {
      sql: `SELECT team_id, region FROM v_interactions WHERE interaction_id = 'i-zh-1'`,
      format: 'xlsx',
      url: base,
      token: TOKENS.analyst,
      out,
    });
    await new Promise<void>((r) => out.end(r));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await readFile(file)) as unknown as ArrayBuffer);
    const values = wb.worksheets[0]!.getSheetValues().slice(1) as unknown[][];
    expect(values.map((r) => r.slice(1))).toEqual([
      ['team_id', 'region'],
      [TEAM, REGION],
    ]);
    await rm(file);
  });
});
