import { describe, expect, it } from 'vitest';
import { decodeEvent, parseEvent, type FieldError } from '../../../ingest/events.ts';
import { dlqRow } from '../../../ingest/rows.ts';
import { MAX_ATTRIBUTES_BYTES, MAX_DEPTH } from '../../../ingest/wire-safety.ts';
import { engineCode, engineMessage, faultOf } from '../../../infra/clickhouse-errors.ts';

const survey = {
  event_id: 'p1',
  type: 'survey.responded',
  occurred_at: '2026-03-02T09:15:00Z',
  customer_id: 'c1',
  survey: 'csat',
  score: 4,
};
const opened = {
  event_id: 'p2',
  type: 'interaction.opened',
  occurred_at: '2026-03-02T09:15:00Z',
  interaction_id: 'i1',
  customer_id: 'c1',
  channel: 'chat',
  category: 'complaint',
};

function errorsOf(input: unknown): FieldError[] {
  const r = parseEvent(input);
  return r.ok ? [] : r.errors;
}

function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('what the store would refuse is refused at the door, naming the field', () => {
  it('accepts the plain events these cases start from', () => {
    expect(errorsOf(survey)).toEqual([]);
    expect(errorsOf({ ...opened, attributes: nested(MAX_DEPTH - 2) })).toEqual([]);
  });

  it.each([
    ['a lone high surrogate', { ...survey, comment: 'bad \ud800 x' }, 'comment', /lone surrogate/],
    ['a lone low surrogate', { ...survey, comment: 'bad \udc00 x' }, 'comment', /lone surrogate/],
    ['a lone surrogate in an id', { ...survey, customer_id: 'c\ud83d' }, 'customer_id', /lone surrogate/],
    [
      'a lone surrogate deep in attributes',
      { ...opened, attributes: { a: [{ b: 'x\udfff' }] } },
      'attributes.a.0.b',
      /lone surrogate/,
    ],
    [
      'a lone surrogate in a key',
      { ...opened, attributes: { 'k\ud800': 1 } },
      'attributes.k\ufffd',
      /field name/,
    ],
    ['a lone surrogate in an unknown field', { ...survey, note: '\ud800' }, 'note', /lone surrogate/],
    ['NUL in an id', { ...survey, customer_id: 'c\u0000' }, 'customer_id', /NUL/],
    ['NUL in the event id', { ...survey, event_id: 'e\u0000' }, 'event_id', /NUL/],
    [
      'year 1800',
      { ...survey, occurred_at: '1800-01-01T00:00:00Z' },
      'occurred_at',
      /between 1900-01-01 and 2299-12-31/,
    ],
    [
      'year 9999',
      { ...survey, occurred_at: '9999-12-31T23:59:59Z' },
      'occurred_at',
      /between 1900-01-01 and 2299-12-31/,
    ],
    [
      'a sign-up in 1899',
      { ...opened, type: 'customer.upserted', signed_up_at: '1899-12-31T23:59:59Z' },
      'signed_up_at',
      /between/,
    ],
    ['6,000-deep attributes', { ...opened, attributes: nested(6000) }, 'attributes', /deeper than 16 levels/],
    ['a deep unknown field', { ...survey, extra: nested(MAX_DEPTH + 3) }, 'extra', /deeper than/],
    [
      '900 KB of attributes',
      { ...opened, attributes: { blob: 'x'.repeat(900 * 1024) } },
      'attributes',
      /at most 65536/,
    ],
    ['900 KB of unknown fields', { ...survey, blob: 'x'.repeat(900 * 1024) }, 'attributes', /at most 65536/],
  ])('%s', (_name, event, field, message) => {
    const errors = errorsOf(event);
    expect(errors.map((e) => e.field)).toContain(field);
    expect(errors.find((e) => e.field === field)?.message).toMatch(message);
  });

  it('takes the edges of the stored range and of the attributes size', () => {
    expect(errorsOf({ ...survey, occurred_at: '1900-01-01T00:00:00Z' })).toEqual([]);
    expect(errorsOf({ ...survey, occurred_at: '2299-12-31T23:59:59.999Z' })).toEqual([]);
    expect(errorsOf({ ...survey, occurred_at: '2300-01-01T00:00:00Z' })).not.toEqual([]);
    // {"blob":"…"} is 11 bytes around the text
    const fits = { ...opened, attributes: { blob: 'x'.repeat(MAX_ATTRIBUTES_BYTES - 11) } };
    expect(errorsOf(fits)).toEqual([]);
    expect(errorsOf({ ...opened, attributes: { blob: 'x'.repeat(MAX_ATTRIBUTES_BYTES - 10) } })).not.toEqual(
      [],
    );
  });

  it('keeps valid astral characters and CJK text', () => {
    expect(errorsOf({ ...survey, comment: '服务很好 😀 \ud83d\ude00' })).toEqual([]);
  });

  it('decodes 1e5-deep JSON from Kafka to a reason, never a throw', () => {
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const r = decodeEvent(Buffer.from(deep));
    expect(r.ok).toBe(false);
  });
});

describe('DLQ rows are storable whatever they quote', () => {
  it('replaces lone surrogates in reasons and messages', () => {
    const row = dlqRow({
      reason: 'invalid \ud800',
      errors: [{ field: 'type\udc00', message: 'got "\ud83d' }],
      source: { topic: 't', partition: 0, offset: '1' },
      raw: Buffer.from('x'),
      rejectedAt: new Date(0),
    });
    const text = JSON.stringify(row);
    expect(text).not.toMatch(/\\ud[89a-f]/i);
    expect(text).toContain('\ufffd');
  });
});

describe('ClickHouse errors are classified by the engine code', () => {
  const embedded = (code: number, name: string) =>
    new Error(
      `Code: ${code}. DB::Exception: Something about the row: (at row 1)\n: While executing ParallelParsingBlockInputFormat. (${name})`,
    );
  it('reads the code from the embedded engine and from the HTTP client', () => {
    expect(engineCode(embedded(25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'))).toBe(25);
    expect(engineCode(Object.assign(new Error('x'), { code: '469', type: 'VIOLATED_CONSTRAINT' }))).toBe(469);
    expect(engineCode(new Error('socket hang up'))).toBeUndefined();
    expect(engineCode(new Error('wrapped', { cause: embedded(72, 'CANNOT_PARSE_NUMBER') }))).toBe(72);
  });
  it('blames the rows only for data codes', () => {
    expect(faultOf(embedded(25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'))).toBe('data');
    expect(faultOf(embedded(469, 'VIOLATED_CONSTRAINT'))).toBe('data');
    expect(faultOf(embedded(60, 'UNKNOWN_TABLE'))).toBe('store');
    expect(faultOf(embedded(241, 'MEMORY_LIMIT_EXCEEDED'))).toBe('store');
    expect(faultOf(embedded(243, 'NOT_ENOUGH_SPACE'))).toBe('store');
    expect(faultOf(new Error('connect ECONNREFUSED 127.0.0.1:8123'))).toBe('store');
  });
  it('keeps the engine sentence and its code name for the DLQ', () => {
    expect(engineMessage(embedded(72, 'CANNOT_PARSE_NUMBER'))).toBe(
      'CANNOT_PARSE_NUMBER (72): Something about the row: (at row 1)',
    );
  });
});
