import ExcelJS from 'exceljs';

/**
 * Rows as an Excel workbook (.xlsx, built in memory with exceljs): one sheet, a header row, numbers as
 * numbers, text — dates included, written as JSON writes them — as text. Used by the panel downloads
 * (export.ts) and by the analysts' SQL (routes/sql.ts), which caps the rows first (SQL_MAX_XLSX_ROWS).
 */

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A sheet name Excel accepts: no `[]:*?/\`, no leading or trailing `'`, 1–31 characters. */
export function sheetName(name: string): string {
  const clean = name
    .replace(/[[\]:*?/\\]/g, '_')
    .replace(/^'+|'+$/g, '')
    .trim();
  return [...clean].slice(0, 31).join('') || 'Sheet1';
}

/** ClickHouse types whose values are numbers (64-bit integers arrive in JSON as strings). */
const NUMERIC = /^(?:Nullable\()?(?:U?Int\d+|Float\d+|Decimal)/;

export const isNumericType = (type: string): boolean => NUMERIC.test(type.replace(/^LowCardinality\(/, ''));

export type XlsxCell = string | number | boolean | null;

/**
 * A value as a cell: null stays empty, numbers and booleans stay themselves, a `Date` is its ISO text
 * (as in JSON), an object or array its JSON text. With `numeric`, a number sent as text (a 64-bit
 * integer) becomes a number when it is exactly one.
 */
export function xlsxCell(v: unknown, numeric = false): XlsxCell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  const s = String(v);
  if (numeric && /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(s)) {
    const n = Number(s);
    if (Number.isFinite(n) && (!/^-?\d+$/.test(s) || Number.isSafeInteger(n))) return n;
  }
  return s;
}

/** A workbook of one sheet: `columns` as its header row, then `rows` (each as long as `columns`). */
export async function toXlsx(
  sheet: string,
  columns: readonly string[],
  rows: readonly (readonly XlsxCell[])[],
): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'cxpulse';
  const ws = wb.addWorksheet(sheetName(sheet));
  ws.addRow([...columns]).font = { bold: true };
  for (const r of rows) ws.addRow([...r]);
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Object rows (a panel's) as a workbook: the columns are every key, in order of first appearance. */
export function rowsToXlsx(sheet: string, rows: readonly Record<string, unknown>[]): Promise<Buffer> {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return toXlsx(
    sheet,
    cols,
    rows.map((r) => cols.map((c) => xlsxCell(r[c]))),
  );
}
