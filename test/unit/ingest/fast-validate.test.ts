import { describe, expect, it } from 'vitest';
import { createEventParser, SEGMENTS } from '../../../ingest/events.ts';
import { createFastValidator } from '../../../ingest/fast-validate.ts';
import { generateSample } from '../../../sample/index.ts';

/**
 * The fast verdict (ingest/fast-validate.ts) against the zod schemas of ingest/events.ts, the
 * reference: on minimal and complete events of every type, on the sample, and on thousands of events
 * broken one field at a time, the two say the same. Inputs go through JSON first, as the ingester's do.
 */

const base = { event_id: 'e1', occurred_at: '2026-03-02T09:15:00+08:00', schema_version: 1 };
const FULL: Record<string, Record<string, unknown>> = {
  'interaction.opened': {
    interaction_id: 'i1',
    customer_id: 'c1',
    channel: 'phone',
    category: 'inquiry',
    priority: 'high',
    severity: 'minor',
    team_id: 't1',
    agent_id: 'a1',
    subject: '退款问题 😀',
    attributes: { vip: true, 渠道: '微信' },
  },
  'interaction.first_response': { interaction_id: 'i1', agent_id: 'a1', team_id: 't1' },
  'interaction.transferred': { interaction_id: 'i1', to_team_id: 't2', from_team_id: 't1', reason: 'skill' },
  'interaction.escalated': { interaction_id: 'i1', to_team_id: 't3', severity: 'major', reason: 'x' },
  'interaction.resolved': { interaction_id: 'i1', agent_id: 'a1', resolution_code: 'fixed' },
  'interaction.reopened': { interaction_id: 'i1', reason: 'again' },
  'interaction.followed_up': { interaction_id: 'i1', outcome: 'satisfied', agent_id: 'a1' },
  'interaction.abandoned': { interaction_id: 'i1', wait_seconds: 42.5 },
  'survey.responded': {
    customer_id: 'c1',
    survey: 'csat',
    score: 4,
    interaction_id: 'i1',
    channel: 'chat',
    comment: '很好',
    language: 'zh-CN',
  },
  'customer.upserted': {
    customer_id: 'c1',
    segment: 'vip',
    region: 'east',
    signed_up_at: '2025-01-01T00:00:00Z',
    attributes: { tier: 2 },
  },
  'customer.purchased': { customer_id: 'c1', amount: 12.5, currency: 'CNY' },
  'customer.renewed': { customer_id: 'c1', amount: 0, currency: 'USD' },
  'customer.churned': { customer_id: 'c1', reason: 'price' },
};

function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { n: v };
  return v;
}

/** Values that break (or not) a field: wrong types, bounds, odd text, bad dates, enum strays. */
const ODD_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1,
  1.5,
  5,
  6,
  7,
  8,
  10,
  11,
  -0.5,
  1e300,
  2 ** 53 + 2,
  '',
  'x',
  'x'.repeat(35),
  'x'.repeat(36),
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(128),
  'x'.repeat(129),
  'x'.repeat(1000),
  'x'.repeat(1001),
  'x'.repeat(10_001),
  'a\u0000b',
  'a\ud800b',
  '😀',
  'bogus',
  'vip',
  'gold',
  'phone',
  'CNY',
  'cny',
  'CNY\n',
  [],
  ['a'],
  {},
  { a: 1 },
  { a: 'x\ud800' },
  nested(20),
  '2026-02-30T00:00:00Z',
  '2026-03-02T09:15:00',
  '2026-03-02T09:15Z',
  '2026-03-02T09:15:00.123Z',
  '2026-03-02T09:15:00.123456789+08:00',
  '2026-03-02T09:15+0800',
  '2026-03-02T24:00Z',
  '2026-03-02T09:60:00Z',
  '2026-03-02T09:15:60.000Z',
  '2026-13-02T09:15:00.000Z',
  '1899-12-31T23:59:59.999Z',
  '1900-01-01T00:00:00.000Z',
  '1900-01-01T07:59:59+08:00',
  '2299-12-31T23:59:59.999Z',
  '2300-01-01T00:00:00.000Z',
  '2024-02-29T12:00:00.000Z',
  '2025-02-29T12:00:00.000Z',
  '2000-02-29T00:00:00.000Z',
  '2100-02-29T00:00:00.000Z',
  '2026-04-31T00:00:00.000Z',
  '2026-12-31T23:59:59.999Z',
  '2026-00-10T00:00:00.000Z',
  '2026-01-00T00:00:00.000Z',
  '2026-03-02T24:00:00.000Z',
  '2026-03-02T23:60:00.000Z',
  '2026-03-02T23:59:59.99Z',
  '2026-03-02T23:59:59.9999',
  '2026-03-02t23:59:59.999Z',
  '2026-03-02T23:59:5x.999Z',
  '１９９９-03-02T23:59:59.999Z',
  '0999-03-02T23:59:59.999Z',
];

/** A small seeded source (mulberry32) for the generated events. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** One event broken (or not) in one to three ways. */
function mutate(r: () => number, event: Record<string, unknown>): Record<string, unknown> {
  const e = { ...event };
  const keys = [...Object.keys(e), 'attributes', 'extra_field', 'channel', 'score', 'segment', 'type'];
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const key = pick(r, keys);
    const what = r();
    if (what < 0.15) delete e[key];
    else if (what < 0.2) e[key] = pick(r, ['interaction.bogus', 'survey.responded', 'customer.churned']);
    else if (what < 0.25) e['k\ud800'] = 1;
    else if (what < 0.28) e['big'] = 'x'.repeat(70_000);
    else e[key] = pick(r, ODD_VALUES);
  }
  return e;
}

function* cases(): Generator<unknown> {
  for (const [type, fields] of Object.entries(FULL)) {
    yield { ...base, type, ...fields };
    yield { event_id: 'e2', occurred_at: '2026-03-02T01:15:00.000Z', type, ...fields };
  }
  yield* [null, [], 'x', 5, {}, { type: 'bogus', event_id: '' }];
  const templates: Record<string, unknown>[] = Object.entries(FULL).map(([type, fields]) => ({
    ...base,
    type,
    ...fields,
  }));
  for (const survey of ['nps', 'ces'])
    templates.push({ ...base, type: 'survey.responded', customer_id: 'c1', survey, score: 3 });
  // Every field of every type (and a few it does not have) set to every odd value, one at a time.
  for (const t of templates) {
    const keys = new Set([...Object.keys(t), 'attributes', 'extra_field', 'channel', 'segment']);
    for (const key of keys) {
      const { [key]: _, ...without } = t;
      yield without;
      for (const v of ODD_VALUES) yield { ...t, [key]: v };
    }
  }
  const r = random(16);
  for (let i = 0; i < 3000; i++) yield mutate(r, pick(r, templates));
}

const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');

describe('fast validation agrees with the zod schemas', () => {
  for (const segments of [SEGMENTS, ['gold', 'silver']] as const) {
    it(`on every fixture and thousands of generated events (segments ${segments.join(', ')})`, () => {
      const reference = createEventParser({ segments }, { fastPath: false });
      const fast = createFastValidator(segments);
      let valid = 0;
      let invalid = 0;
      for (const c of cases()) {
        const input = viaJson(c);
        const expected = reference.parse(input).ok;
        if (fast(input) !== expected) expect({ input, fast: !expected }).toEqual({ input, fast: expected });
        if (expected) valid++;
        else invalid++;
      }
      // Both verdicts are exercised in numbers.
      expect(valid).toBeGreaterThan(300);
      expect(invalid).toBeGreaterThan(7000);
    });
  }

  it('on the whole sample: every event valid for both', () => {
    const reference = createEventParser({ segments: SEGMENTS }, { fastPath: false });
    const fast = createFastValidator(SEGMENTS);
    let n = 0;
    for (const e of generateSample({ seed: 7, customers: 300, days: 30 })) {
      const input = viaJson(e);
      expect([fast(input), reference.parse(input).ok]).toEqual([true, true]);
      n++;
    }
    expect(n).toBeGreaterThan(1000);
  });

  it('gives the same rejection reasons as before: a refused event is explained by the schemas', () => {
    const parser = createEventParser({ segments: SEGMENTS });
    const bad = { ...base, type: 'survey.responded', customer_id: 'c1', survey: 'csat', score: 9 };
    expect(parser.parse(bad)).toEqual({
      ok: false,
      errors: [{ field: 'score', message: 'must be between 1 and 5 for a csat survey' }],
    });
  });
});
