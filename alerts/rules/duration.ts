import { z } from 'zod';

/**
 * Durations as people write them in alerts.yaml: a number and a unit, optionally several (`90s`, `5m`,
 * `1h30m`, `2d`); units s, m, h, d. Parsed to milliseconds.
 */

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const WHOLE = /^(?:\d+[smhd])+$/;
const PART = /(\d+)([smhd])/g;

/** Milliseconds of a duration text, or null when it is not one. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (!WHOLE.test(t)) return null;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(PART)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return ms;
}

/** A duration field: text such as `5m` → milliseconds, within [minMs, maxMs]. */
export function duration(minMs: number, maxMs: number, range: string) {
  return z.string({ error: 'must be a duration such as 30s, 5m, 4h or 1d' }).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a duration such as 30s, 5m, 4h or 1d',
        params: { code: 'invalid_duration' },
      });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      const [, min = '', max = ''] = /^between (\S+) and (\S+)$/.exec(range) ?? [];
      ctx.addIssue({
        code: 'custom',
        message: `must be ${range}`,
        params: { code: 'duration_range', min, max },
      });
      return z.NEVER;
    }
    return ms;
  });
}
