import { Writable } from 'node:stream';
import { createClickHouse, createSandbox } from '../infra/clickhouse.ts';
import type { Config } from '../infra/config.ts';
import { CxError, type ErrorCode } from '../infra/errors.ts';
import { SqlService, type SqlFormat } from '../dashboards/sql.ts';
import { isNumericType, toXlsx, xlsxCell } from '../dashboards/xlsx.ts';

export interface QueryCommand {
  sql: string;
  format: 'table' | SqlFormat;
  url: string;
  token: string | undefined;
  out: Writable;
}

const CODES: Record<number, ErrorCode> = {
  400: 'sql_invalid',
  401: 'unauthorized',
  403: 'sql_refused',
  422: 'sql_limit',
};

/**
 * `cxpulse query`: the analysts' SQL from a terminal, through the running server (which holds the
 * embedded store) or, when none answers, the local store in a sandbox of its own. The same gates,
 * limits and audit either way. `table` prints an aligned text table of the JSON answer; csv and arrow
 * stream the bytes; xlsx writes a workbook (at most SQL_MAX_XLSX_ROWS rows).
 */
export async function runQuery(cfg: Config, cmd: QueryCommand): Promise<string> {
  const wire: SqlFormat = cmd.format === 'table' ? 'json' : cmd.format;
  const up = await fetch(new URL('/healthz', cmd.url), { signal: AbortSignal.timeout(1500) }).then(
    () => true,
    () => false,
  );
  if (up) {
    const res = await fetch(new URL('/api/v1/sql', cmd.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(cmd.token ? { authorization: `Bearer ${cmd.token}` } : {}),
      },
      body: JSON.stringify({ sql: cmd.sql, format: wire }),
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: { message: string } };
      throw new CxError(
        CODES[res.status] ?? 'sql_failed',
        body.error?.message ?? `the server answered ${res.status}`,
      );
    }
    if (cmd.format === 'table') return table((await res.json()) as JsonAnswer);
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) await write(cmd.out, c);
    return '';
  }
  const ch = createClickHouse(cfg.clickhouse);
  const sandbox = createSandbox(cfg.clickhouse, cfg.sql);
  try {
    const svc = new SqlService(sandbox, ch, cfg.clickhouse.database, cfg.sql);
    const { chunks } = await svc.run({
      caller: 'cli',
      role: 'analyst',
      sql: cmd.sql,
      format: wire,
      signal: new AbortController().signal,
    });
    if (cmd.format === 'csv' || cmd.format === 'arrow') {
      for await (const c of chunks) await write(cmd.out, c);
      return '';
    }
    let text = '';
    const decoder = new TextDecoder();
    for await (const c of chunks) text += decoder.decode(c, { stream: true });
    const [names = [], types = [], ...rows] = text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as unknown[]);
    const answer = { columns: names.map((n, i) => ({ name: String(n), type: String(types[i]) })), rows };
    if (cmd.format === 'xlsx') {
      await write(cmd.out, await localXlsx(answer, cfg.sql.maxXlsxRows));
      return '';
    }
    return cmd.format === 'json'
      ? `${JSON.stringify({ ...answer, row_count: rows.length })}\n`
      : table(answer);
  } finally {
    await sandbox.close();
    await ch.close();
  }
}

interface JsonAnswer {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

/** The local store's answer as an xlsx workbook, as the server builds it (routes/sql.ts). */
function localXlsx(a: JsonAnswer, maxRows: number): Promise<Buffer> {
  if (a.rows.length > maxRows)
    throw new CxError(
      'sql_limit',
      `the result has more than ${maxRows} rows, the most an xlsx download holds (SQL_MAX_XLSX_ROWS): add a LIMIT or ask for csv or arrow`,
    );
  const numeric = a.columns.map((c) => isNumericType(c.type));
  const cells = a.rows.map((r) => r.map((v, i) => xlsxCell(v, numeric[i])));
  return toXlsx(
    'result',
    a.columns.map((c) => c.name),
    cells,
  );
}

function table(a: JsonAnswer): string {
  const cells = [
    a.columns.map((c) => c.name),
    ...a.rows.map((r) => r.map((v) => (v === null ? '' : String(v)))),
  ];
  const widths = a.columns.map((_, i) => Math.min(60, Math.max(...cells.map((r) => (r[i] ?? '').length))));
  const line = (r: string[]) =>
    r
      .map((v, i) => v.slice(0, 60).padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return (
    [
      line(cells[0] ?? []),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...cells.slice(1).map(line),
      `(${a.rows.length} rows)`,
    ].join('\n') + '\n'
  );
}

function write(out: Writable, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => out.write(chunk, (err) => (err ? reject(err) : resolve())));
}
