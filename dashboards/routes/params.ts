import type { Request } from 'express';
import type { Config } from '../../infra/config.ts';
import { badParameter } from '../../infra/errors.ts';
import { addDays } from '../../infra/time.ts';
import { parseMetricRequest as parseQuery } from '../../metrics/query/parse.ts';
import type { MetricRequest } from '../../metrics/query/request.ts';

/** The query-string readers the routes share: a metric request, a drill-down's period, numbers, days. */

/**
 * A route's metric request from its query string (metrics/query/parse.ts); a `segment` filter must name
 * one of the centre's segments (CUSTOMER_SEGMENTS), or it is a `bad_parameter` listing them.
 */
export function parseMetricRequest(
  req: Request,
  cfg: Pick<Config, 'timeZone' | 'vocabulary'>,
  extra: readonly string[] = [],
): MetricRequest {
  const r = parseQuery(req.query as Record<string, unknown>, cfg.timeZone, extra);
  const known = cfg.vocabulary.segments.map((s) => s.key);
  const unknown = (r.filters.segment ?? []).find((s) => !known.includes(s));
  if (unknown !== undefined)
    throw badParameter(
      'segment',
      `${JSON.stringify(unknown)} is not a segment; use one of ${known.join(', ')}`,
    );
  return r;
}

/** A drill-down's dates: the request's, or one period of it (`period` = its first day, with `grain`). */
export function periodScope(r: MetricRequest, period: string | undefined): MetricRequest {
  if (period === undefined || period === 'total') return r;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(period)) throw badParameter('period', 'must be a date YYYY-MM-DD or total');
  const last =
    r.grain === 'day'
      ? period
      : r.grain === 'week'
        ? shiftDays(period, 6)
        : shiftDays(shiftDays(`${period.slice(0, 8)}01`, 32).slice(0, 8) + '01', -1);
  return { ...r, from: period > r.from ? period : r.from, to: last < r.to ? last : r.to };
}

export function booleanOf(name: string, v: string): boolean {
  if (v !== 'true' && v !== 'false') throw badParameter(name, 'must be true or false');
  return v === 'true';
}

export function wholeNumber(name: string, v: string): number {
  if (!/^\d{1,9}$/.test(v)) throw badParameter(name, 'must be a whole number');
  return Number(v);
}

export function limitOf(v: string | undefined): number {
  const n = wholeNumber('limit', v ?? '50');
  if (n < 1 || n > 1000) throw badParameter('limit', 'must be 1–1000');
  return n;
}

/** `addDays` for a date the caller sent: one that is not a date is a `bad_parameter` naming `to`. */
export function shiftDays(date: string, days: number): string {
  if (Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw badParameter('to', 'must be a date YYYY-MM-DD');
  return addDays(date, days);
}
