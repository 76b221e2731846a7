import { csvField } from '../infra/csv.ts';
import { tableFromJSON, tableToIPC } from 'apache-arrow';
import type { Response } from 'express';
import { CxError } from '../infra/errors.ts';

/**
 * Downloads of a panel's rows: JSON, CSV (RFC 4180, UTF-8) or an Arrow IPC stream (readable by pyarrow,
 * pandas, polars, DuckDB). The same rows the page draws.
 */

export const FORMATS = ['json', 'csv', 'arrow'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(v: unknown): Format {
  if (v === undefined) return 'json';
  if (typeof v !== 'string' || !(FORMATS as readonly string[]).includes(v))
    throw new CxError('bad_parameter', `format: must be one of ${FORMATS.join(', ')}`, {
      details: { parameter: 'format' },
    });
  return v as Format;
}

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return csvField(s);
};

export function toCsv(rows: readonly Record<string, unknown>[]): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}

export function toArrow(rows: readonly Record<string, unknown>[]): Uint8Array {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  // every row carries every column, so that Arrow infers one type per column
  const filled = rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c] ?? null])));
  return tableToIPC(tableFromJSON(filled), 'stream');
}

/** Send rows in the asked format; `name` becomes the download's file name. */
export function sendRows(
  res: Response,
  format: Format,
  name: string,
  rows: readonly Record<string, unknown>[],
  json: () => unknown,
): void {
  if (format === 'json') {
    res.json(json());
    return;
  }
  const file = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (format === 'csv') {
    res.attachment(`${file}.csv`).type('text/csv; charset=utf-8').send(toCsv(rows));
    return;
  }
  res
    .attachment(`${file}.arrows`)
    .type('application/vnd.apache.arrow.stream')
    .send(Buffer.from(toArrow(rows)));
}
