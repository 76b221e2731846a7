import { describe, expect, it } from 'vitest';
import { CxError } from '../../../infra/errors.ts';
import { metricQuery, parseMetricRequest } from '../../../metrics/query/parse.ts';

/** metrics/query/parse.ts: the one parser of metric requests (API, CLI, reports), without HTTP. */
describe('parseMetricRequest', () => {
  const now = new Date('2026-03-01T20:00:00Z');

  it('defaults to the 28 days ending today in the time zone, by day, ungrouped', () => {
    expect(parseMetricRequest({}, 'UTC', [], now)).toEqual({
      from: '2026-02-02',
      to: '2026-03-01',
      grain: 'day',
      by: [],
      filters: {},
    });
    // 20:00 UTC is already 2 March in Shanghai
    expect(parseMetricRequest({}, 'Asia/Shanghai', [], now)).toMatchObject({
      from: '2026-02-03',
      to: '2026-03-02',
    });
  });

  it('reads from, to, grain, by and one filter per dimension (comma-separated)', () => {
    const r = parseMetricRequest(
      { from: '2026-01-05', to: '2026-02-08', grain: 'week', by: 'channel,team_id', priority: 'normal,high' },
      'UTC',
    );
    expect(r).toEqual({
      from: '2026-01-05',
      to: '2026-02-08',
      grain: 'week',
      by: ['channel', 'team_id'],
      filters: { priority: ['normal', 'high'] },
    });
  });

  it('counts from 27 days before an explicit to', () => {
    expect(parseMetricRequest({ to: '2026-03-31' }, 'UTC').from).toBe('2026-03-04');
  });

  it.each([
    [{ grain: 'hourly' }, /grain: must be one of day, week, month, total/],
    [{ by: 'colour' }, /by: colour is not a dimension/],
    [{ colour: 'red' }, /colour: unknown parameter; use from, to, grain, by or a dimension/],
    [{ channel: '' }, /channel: needs at least one value/],
    [{ channel: ',' }, /channel: needs at least one value/],
    [{ to: ['2026-01-01', '2026-01-02'] }, /to: must be given once/],
    [{ to: 'soon' }, /to: must be a date YYYY-MM-DD/],
  ])('names the bad parameter in %j', (query, message) => {
    let err: unknown;
    try {
      parseMetricRequest(query, 'UTC', [], now);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CxError);
    expect((err as CxError).code).toBe('bad_parameter');
    expect((err as CxError).message).toMatch(message);
  });

  it("accepts the caller's own parameters and names them when refusing others", () => {
    expect(() => parseMetricRequest({ format: 'csv' }, 'UTC', ['format'], now)).not.toThrow();
    expect(() => parseMetricRequest({ page: '2' }, 'UTC', ['format'], now)).toThrow(
      /page: unknown parameter; use from, to, grain, by, format or a dimension/,
    );
  });

  it('leaves date checks against a metric to the query builder', () => {
    // a well-formed but impossible date is parsed; validateRequest refuses it with the metric
    expect(parseMetricRequest({ from: '2026-02-30', to: '2026-03-01' }, 'UTC').from).toBe('2026-02-30');
  });
});

describe('metricQuery', () => {
  it('writes what parseMetricRequest reads, leaving out what is unset', () => {
    const q = metricQuery({
      from: '2026-01-01',
      to: '2026-01-31',
      grain: 'month',
      by: ['region'],
      filters: { channel: ['phone', 'chat'] },
    });
    expect(q).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
      grain: 'month',
      by: 'region',
      channel: 'phone,chat',
    });
    expect(parseMetricRequest(q, 'UTC')).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
      grain: 'month',
      by: ['region'],
      filters: { channel: ['phone', 'chat'] },
    });
    expect(metricQuery({ by: [], filters: {} })).toEqual({});
  });
});
