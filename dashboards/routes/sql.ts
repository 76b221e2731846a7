import express, { type RequestHandler, type Response, type Router } from 'express';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Role } from '../../infra/config.ts';
import { CxError, badParameter, isCxError } from '../../infra/errors.ts';
import { LOCALE_COOKIE } from '../../i18n/locales.ts';
import { cookie, type Caller } from '../auth.ts';
import { ANALYST_TABLES, SQL_FORMATS, type SqlFormat, type SqlService } from '../sql.ts';
import type { SqlSchema } from '../wire.ts';
import { UTF8_BOM, wantsBom } from '../export.ts';
import { XLSX_TYPE, isNumericType, toXlsx, xlsxCell } from '../xlsx.ts';

/**
 * `POST /api/v1/sql` (analyst): `{ sql, format: json | csv | arrow | xlsx }`. JSON answers
 * `{ columns: [{name, type}], rows: [[…]], row_count, elapsed_ms }` and is capped at `maxJsonRows`
 * (a larger result fails and says to use csv or arrow); an xlsx workbook is built in memory from the
 * same rows, capped at `maxXlsxRows`; CSV and Arrow stream, a CSV after a UTF-8 byte-order mark when
 * `?bom=1` or the caller prefers Chinese (export.ts `wantsBom`; `?bom=0` turns it off). An error before the first
 * byte is a JSON error with its status; an error after it (a limit reached mid-stream) aborts the
 * response, so a result is never silently cut short. A client that goes away cancels its query. A query
 * that waited too long for a slot is `503 sql_busy` with `Retry-After`.
 * `GET /api/v1/sql/schema`: the tables analysts may read, with descriptions and columns.
 */
export function sqlRouter(deps: {
  sql: SqlService;
  clickhouse: ClickHouseClient;
  database: string;
  requireRole: (minimum: Role) => RequestHandler;
  maxJsonRows: number;
  maxXlsxRows: number;
}): Router {
  const router = express.Router();

  router.get('/api/v1/sql/schema', deps.requireRole('analyst'), async (_req, res) => {
    const rs = await deps.clickhouse.query({
      query: `SELECT table, name, type, comment FROM system.columns
              WHERE database = {db:String} AND table IN {tables:Array(String)} ORDER BY table, position`,
      query_params: { db: deps.database, tables: Object.keys(ANALYST_TABLES) },
      format: 'JSONEachRow',
    });
    const cols = await rs.json<{ table: string; name: string; type: string; comment: string }>();
    res.json({
      database: deps.database,
      tables: Object.entries(ANALYST_TABLES).map(([name, description]) => ({
        name,
        description,
        columns: cols.filter((c) => c.table === name).map((c) => ({ name: c.name, type: c.type })),
      })),
    } satisfies SqlSchema);
  });

  router.post(
    '/api/v1/sql',
    deps.requireRole('analyst'),
    express.json({ limit: '256kb' }),
    async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (typeof body['sql'] !== 'string')
        throw badParameter('sql', 'is required: the SELECT to run, as a string');
      const format = (body['format'] ?? 'json') as SqlFormat;
      if (!SQL_FORMATS.includes(format))
        throw badParameter('format', `must be one of ${SQL_FORMATS.join(', ')}`);
      for (const k of Object.keys(body))
        if (k !== 'sql' && k !== 'format') throw badParameter(k, 'unknown field; send sql and format');
      const bom = wantsBom(req.query['bom'], req.get('accept-language'), cookie(req, LOCALE_COOKIE));
      const caller = res.locals['caller'] as Caller;
      const ac = new AbortController();
      // the client went away before the whole answer was sent: stop the query
      res.on('close', () => {
        if (!res.writableFinished) ac.abort();
      });
      const t0 = Date.now();
      const { chunks } = await deps.sql
        .run({ caller: caller.id, role: caller.role, sql: body['sql'], format, signal: ac.signal })
        .catch((err: unknown) => {
          // every slot this caller may use stayed busy: say when to come back
          const wait = isCxError(err, 'sql_busy')
            ? (err.details as { retry_after_seconds?: number }).retry_after_seconds
            : undefined;
          if (wait !== undefined) res.set('Retry-After', String(wait));
          throw err;
        });
      if (format === 'json') await sendJson(res, chunks, deps.maxJsonRows, ac, t0);
      else if (format === 'xlsx') await sendXlsx(res, chunks, deps.maxXlsxRows, ac);
      else await sendStream(res, chunks, format, bom);
    },
  );
  return router;
}

interface Compact {
  names: unknown[];
  types: unknown[];
  rows: unknown[][];
}

/** The rows of a JSONCompactEachRowWithNamesAndTypes result; more than `maxRows` aborts with `tooMany`. */
async function collect(
  chunks: AsyncGenerator<Uint8Array>,
  maxRows: number,
  ac: AbortController,
  tooMany: string,
): Promise<Compact> {
  const decoder = new TextDecoder();
  let buffered = '';
  const lines: unknown[][] = [];
  for await (const c of chunks) {
    buffered += decoder.decode(c, { stream: true });
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const p of parts) if (p.length > 0) lines.push(JSON.parse(p) as unknown[]);
    if (lines.length - 2 > maxRows) {
      ac.abort();
      await chunks.return(undefined);
      throw new CxError('sql_limit', tooMany);
    }
  }
  if (buffered.trim()) lines.push(JSON.parse(buffered) as unknown[]);
  const [names = [], types = [], ...rows] = lines;
  return { names, types, rows };
}

async function sendJson(
  res: Response,
  chunks: AsyncGenerator<Uint8Array>,
  maxRows: number,
  ac: AbortController,
  t0: number,
): Promise<void> {
  const { names, types, rows } = await collect(
    chunks,
    maxRows,
    ac,
    `the result has more than ${maxRows} rows, the most a JSON answer holds: add a LIMIT or ask for csv or arrow`,
  );
  res.json({
    columns: names.map((n, i) => ({ name: n, type: types[i] })),
    rows,
    row_count: rows.length,
    elapsed_ms: Date.now() - t0,
  });
}

/** The result as an xlsx workbook: the same rows as JSON, numbers as numbers, at most `maxRows`. */
async function sendXlsx(
  res: Response,
  chunks: AsyncGenerator<Uint8Array>,
  maxRows: number,
  ac: AbortController,
): Promise<void> {
  const { names, types, rows } = await collect(
    chunks,
    maxRows,
    ac,
    `the result has more than ${maxRows} rows, the most an xlsx download holds (SQL_MAX_XLSX_ROWS): add a LIMIT or ask for csv or arrow`,
  );
  const numeric = types.map((t) => isNumericType(String(t)));
  const cells = rows.map((r) => r.map((v, i) => xlsxCell(v, numeric[i])));
  const body = await toXlsx('result', names.map(String), cells);
  res.status(200).attachment('result.xlsx').type(XLSX_TYPE).send(body);
}

async function sendStream(
  res: Response,
  chunks: AsyncGenerator<Uint8Array>,
  format: 'csv' | 'arrow',
  bom: boolean,
): Promise<void> {
  // The first chunk comes before any header: an early error (a limit, a timeout) is a clean JSON error.
  const first = await chunks.next();
  res.status(200);
  if (format === 'csv') res.attachment('result.csv').type('text/csv; charset=utf-8');
  else res.attachment('result.arrows').type('application/vnd.apache.arrow.stream');
  try {
    // the byte-order mark goes first, once, before the header line
    if (format === 'csv' && bom) await write(res, UTF8_BOM);
    if (!first.done) await write(res, first.value);
    for await (const c of chunks) await write(res, c);
    res.end();
  } catch (err) {
    // mid-stream: the headers are gone; break the response so that it cannot pass for a whole result
    res.destroy(err as Error);
  }
}

function write(res: Response, chunk: Uint8Array): Promise<void> {
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      res.off('drain', onDrain);
      reject(new Error('client closed the connection'));
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
