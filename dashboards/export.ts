import { csvField } from '../infra/csv.ts';
import { tableFromJSON, tableToIPC } from 'apache-arrow';
import type { Response } from 'express';
import { CxError, badParameter } from '../infra/errors.ts';
import { isLocale, LOCALE_COOKIE, localeOfAcceptLanguage } from '../i18n/locales.ts';
import { cookie } from './auth.ts';
import { XLSX_TYPE, rowsToXlsx } from './xlsx.ts';

/**
 * Downloads of a panel's rows: JSON, CSV (RFC 4180, UTF-8; with a byte-order mark for Excel when asked
 * or when the reader prefers Chinese), an Arrow IPC stream (readable by pyarrow, pandas, polars, DuckDB)
 * or an Excel workbook (xlsx.ts). The same rows the page draws.
 */

export const FORMATS = ['json', 'csv', 'arrow', 'xlsx'] as const;
export type Format = (typeof FORMATS)[number];

/** The query-string parameters of a download, for the routes' lists of known parameters. */
export const DOWNLOAD_PARAMS = ['format', 'bom'] as const;

/** The UTF-8 byte-order mark: Excel on Windows reads a CSV as UTF-8 only after it. */
export const UTF8_BOM = Uint8Array.of(0xef, 0xbb, 0xbf);

export function parseFormat(v: unknown): Format {
  if (v === undefined) return 'json';
  if (typeof v !== 'string' || !(FORMATS as readonly string[]).includes(v))
    throw new CxError('bad_parameter', `format: must be one of ${FORMATS.join(', ')}`, {
      details: { parameter: 'format' },
    });
  return v as Format;
}

/** Whether a reader prefers Chinese: the language remembered by the pages' switcher, else `Accept-Language`. */
export function prefersChinese(acceptLanguage: string | undefined, choice?: string | null): boolean {
  return (isLocale(choice) ? choice : localeOfAcceptLanguage(acceptLanguage)) === 'zh-CN';
}

/** `bom=1|true` asks for the byte-order mark, `bom=0|false` refuses it; otherwise zh readers get it. */
export function wantsBom(bom: unknown, acceptLanguage: string | undefined, choice?: string | null): boolean {
  if (bom === undefined) return prefersChinese(acceptLanguage, choice);
  if (bom === '1' || bom === 'true') return true;
  if (bom === '0' || bom === 'false') return false;
  throw badParameter('bom', 'must be 1, true, 0 or false');
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

/**
 * Send rows in the asked format; `name` becomes the download's file name (and the sheet's). A CSV
 * starts with the byte-order mark when the request's `bom` and `Accept-Language` ask for it (wantsBom).
 */
export async function sendRows(
  res: Response,
  format: Format,
  name: string,
  rows: readonly Record<string, unknown>[],
  json: () => unknown,
): Promise<void> {
  const bom = wantsBom(res.req.query['bom'], res.req.get('accept-language'), cookie(res.req, LOCALE_COOKIE));
  if (format === 'json') {
    res.json(json());
    return;
  }
  const file = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (format === 'csv') {
    const text = Buffer.from(toCsv(rows), 'utf8');
    const body = bom ? Buffer.concat([UTF8_BOM, text]) : text;
    res.attachment(`${file}.csv`).type('text/csv; charset=utf-8').send(body);
    return;
  }
  if (format === 'xlsx') {
    res
      .attachment(`${file}.xlsx`)
      .type(XLSX_TYPE)
      .send(await rowsToXlsx(file, rows));
    return;
  }
  res
    .attachment(`${file}.arrows`)
    .type('application/vnd.apache.arrow.stream')
    .send(Buffer.from(toArrow(rows)));
}
