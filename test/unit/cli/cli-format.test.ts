import { describe, expect, it } from 'vitest';
import { formatRows } from '../../../cli/metric.ts';
import type { MetricRow } from '../../../metrics/answer/metric.ts';

const rows: MetricRow[] = [
  {
    period: 'total',
    channel: 'chat, web',
    value: 91.23456,
    n: 40,
    ci_low: null,
    ci_high: null,
    target: 90,
    status: 'met',
    low_confidence: false,
  },
  {
    period: 'total',
    channel: 'say "hi"',
    value: null,
    n: 0,
    ci_low: null,
    ci_high: null,
    target: 90,
    status: null,
    low_confidence: true,
  },
];

describe('cxpulse metric output', () => {
  it('CSV keeps full precision, quotes what needs it, leaves nulls empty', () => {
    expect(formatRows(rows, 'csv').split('\n')).toEqual([
      'period,channel,value,n,ci_low,ci_high,target,status,low_confidence',
      'total,"chat, web",91.23456,40,,,90,met,false',
      'total,"say ""hi""",,0,,,90,,true',
      '',
    ]);
  });
  it('the table rounds for reading and aligns columns', () => {
    const lines = formatRows(rows, 'table').split('\n');
    expect(lines[0]).toMatch(/^period {2}channel {4}value {2}n/);
    expect(lines[2]).toContain('91.23');
    expect(lines[2]).not.toContain('91.23456');
  });
  it('JSON is the rows as they are', () => {
    expect(JSON.parse(formatRows(rows, 'json'))).toEqual(rows);
  });
});
