import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { prefersChinese, toCsv, wantsBom } from '../../../dashboards/export.ts';
import { isNumericType, rowsToXlsx, sheetName, toXlsx, xlsxCell } from '../../../dashboards/xlsx.ts';

/** Excel-friendly downloads: when a CSV gets a byte-order mark, and the xlsx cells, sheet names and rows. */

describe('the CSV byte-order mark', () => {
  it.each([
    ['zh-CN,zh;q=0.9', true],
    ['zh', true],
    ['zh-TW', true],
    ['en-US,en;q=0.9,zh-CN;q=0.8', false],
    ['en;q=0.5,zh-CN;q=0.9', true],
    ['zh-CN;q=0,en', false],
    ['*', false],
    ['zhx', false],
    ['', false],
    [undefined, false],
  ])('Accept-Language %j prefers Chinese: %s', (header, want) => {
    expect(prefersChinese(header)).toBe(want);
  });

  it('bom=1|true forces it, bom=0|false turns it off, otherwise the language decides', () => {
    expect(wantsBom('1', 'en')).toBe(true);
    expect(wantsBom('true', undefined)).toBe(true);
    expect(wantsBom('0', 'zh-CN')).toBe(false);
    expect(wantsBom('false', 'zh-CN')).toBe(false);
    expect(wantsBom(undefined, 'zh-CN,zh;q=0.9')).toBe(true);
    expect(wantsBom(undefined, 'en')).toBe(false);
  });

  it('anything else is a bad parameter naming bom', () => {
    expect(() => wantsBom('yes', 'en')).toThrow(/bom: must be 1, true, 0 or false/);
    expect(() => wantsBom(['1', '0'], 'en')).toThrow(/bom/);
  });

  it('Chinese text stays as it is in the CSV', () => {
    expect(toCsv([{ team: '华北一组', n: 3 }])).toBe('team,n\r\n华北一组,3\r\n');
  });
});

describe('xlsx', () => {
  it('sheet names Excel accepts: no []:*?/\\, no edge apostrophes, at most 31 characters', () => {
    expect(sheetName('a[b]c:d*e?f/g\\h')).toBe('a_b_c_d_e_f_g_h');
    expect(sheetName("'quoted'")).toBe('quoted');
    expect(sheetName('x'.repeat(40))).toHaveLength(31);
    expect(sheetName('客户满意度'.repeat(10))).toBe('客户满意度'.repeat(7).slice(0, 31));
    expect(sheetName('')).toBe('Sheet1');
    expect(sheetName('[]')).toBe('__');
  });

  it('cells: numbers as numbers, 64-bit integers sent as text as numbers when exact, dates as JSON text', () => {
    expect(xlsxCell(1.5)).toBe(1.5);
    expect(xlsxCell(null)).toBeNull();
    expect(xlsxCell(undefined)).toBeNull();
    expect(xlsxCell(true)).toBe(true);
    expect(xlsxCell('42', true)).toBe(42);
    expect(xlsxCell('42')).toBe('42');
    expect(xlsxCell('-0.25', true)).toBe(-0.25);
    expect(xlsxCell('18446744073709551615', true)).toBe('18446744073709551615');
    expect(xlsxCell('2026-01-05', true)).toBe('2026-01-05');
    expect(xlsxCell(new Date('2026-01-05T00:00:00Z'))).toBe('2026-01-05T00:00:00.000Z');
    expect(xlsxCell({ a: 1 })).toBe('{"a":1}');
    expect(xlsxCell(Number.NaN)).toBe('NaN');
    expect(xlsxCell(12n)).toBe(12);
  });

  it.each([
    ['UInt64', true],
    ['Nullable(Float64)', true],
    ['Decimal(18, 2)', true],
    ['LowCardinality(Nullable(Int32))', true],
    ['String', false],
    ['Date', false],
    ['Array(UInt8)', false],
  ])('%s is numeric: %s', (type, want) => {
    expect(isNumericType(type)).toBe(want);
  });

  it('a workbook opens with exceljs: header row, then the rows, Chinese text and numbers intact', async () => {
    const rows = [
      { period: '2026-01-05', team_id: '华北一组', value: 91.5, n: 12 },
      { period: '2026-01-12', team_id: '华南二组', value: null, n: 0 },
    ];
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await rowsToXlsx('csat_2026-01-05_2026-01-18', rows)) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.name).toBe('csat_2026-01-05_2026-01-18');
    const values = ws.getSheetValues().slice(1) as unknown[][];
    expect(values.map((r) => r.slice(1))).toEqual([
      ['period', 'team_id', 'value', 'n'],
      ['2026-01-05', '华北一组', 91.5, 12],
      ['2026-01-12', '华南二组', undefined, 0],
    ]);
  });

  it('an empty result is a header-only sheet', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await toXlsx('result', ['a', 'b'], [])) as unknown as ArrayBuffer);
    expect(wb.worksheets[0]!.rowCount).toBe(1);
  });
});
