import { describe, expect, it } from 'vitest';
import {
  decodeEvent,
  EVENT_TYPES,
  messageKey,
  parseEvent,
  topicOf,
  type FieldError,
} from '../../../ingest/events.ts';
import { toClickHouseTime, toRow } from '../../../ingest/rows.ts';

const base = { event_id: 'e1', occurred_at: '2026-03-02T09:15:00+08:00' };

/** One minimal valid event per type of docs/contract.md. */
const VALID: Record<string, Record<string, unknown>> = {
  'interaction.opened': { interaction_id: 'i1', customer_id: 'c1', channel: 'phone', category: 'inquiry' },
  'interaction.first_response': { interaction_id: 'i1' },
  'interaction.transferred': { interaction_id: 'i1', to_team_id: 't2' },
  'interaction.escalated': { interaction_id: 'i1' },
  'interaction.resolved': { interaction_id: 'i1' },
  'interaction.reopened': { interaction_id: 'i1' },
  'interaction.followed_up': { interaction_id: 'i1', outcome: 'satisfied' },
  'interaction.abandoned': { interaction_id: 'i1', wait_seconds: 42.5 },
  'survey.responded': { customer_id: 'c1', survey: 'nps', score: 0 },
  'customer.upserted': {
    customer_id: 'c1',
    segment: 'vip',
    region: 'east',
    signed_up_at: '2025-01-01T00:00:00Z',
  },
  'customer.purchased': { customer_id: 'c1', amount: 12.5, currency: 'CNY' },
  'customer.renewed': { customer_id: 'c1' },
  'customer.churned': { customer_id: 'c1', reason: 'price' },
};

function errorsOf(input: unknown): FieldError[] {
  const r = parseEvent(input);
  return r.ok ? [] : r.errors;
}

describe('event contract', () => {
  it('covers every type of the contract', () => {
    expect([...EVENT_TYPES].sort()).toEqual(Object.keys(VALID).sort());
  });

  it.each(Object.entries(VALID))('accepts a minimal %s', (type, fields) => {
    const r = parseEvent({ ...base, type, ...fields });
    expect(r.ok).toBe(true);
  });

  it('routes each family to its topic with the contract key', () => {
    const i = parseEvent({ ...base, type: 'interaction.resolved', interaction_id: 'i9' });
    const s = parseEvent({ ...base, type: 'survey.responded', customer_id: 'c9', survey: 'csat', score: 4 });
    if (!i.ok || !s.ok) throw new Error('fixtures must be valid');
    expect([topicOf(i.event.type), messageKey(i.event)]).toEqual(['interactions', 'i9']);
    expect([topicOf(s.event.type), messageKey(s.event)]).toEqual(['surveys', 'c9']);
  });

  it('reports every bad field at once', () => {
    const errs = errorsOf({
      event_id: '',
      type: 'interaction.opened',
      occurred_at: '2026-03-02 09:15',
      channel: 'fax',
      priority: 'asap',
    });
    expect(errs.map((e) => e.field).sort()).toEqual([
      'category',
      'channel',
      'customer_id',
      'event_id',
      'interaction_id',
      'occurred_at',
      'priority',
    ]);
  });

  it.each([
    ['csat', 0, false],
    ['csat', 1, true],
    ['csat', 5, true],
    ['csat', 6, false],
    ['nps', -1, false],
    ['nps', 0, true],
    ['nps', 10, true],
    ['nps', 11, false],
    ['ces', 0, false],
    ['ces', 7, true],
    ['ces', 8, false],
    ['csat', 4.5, false],
  ])('%s score %d valid=%s', (survey, score, ok) => {
    expect(parseEvent({ ...base, type: 'survey.responded', customer_id: 'c', survey, score }).ok).toBe(ok);
  });

  it.each([
    ['2026-03-02T09:15:00Z', true],
    ['2026-03-02T09:15:00.123+08:00', true],
    ['2026-03-02T09:15+0530', true],
    ['2026-03-02T09:15:00', false],
    ['2026-03-02', false],
    ['2026-02-29T10:00:00Z', false],
    ['2028-02-29T10:00:00Z', true],
    ['2026-13-01T10:00:00Z', false],
    ['yesterday', false],
  ])('occurred_at %s valid=%s', (occurred_at, ok) => {
    expect(
      parseEvent({
        ...VALID['interaction.resolved'],
        event_id: 'e',
        type: 'interaction.resolved',
        occurred_at,
      }).ok,
    ).toBe(ok);
  });

  it('rejects an event_id longer than 64 characters', () => {
    expect(
      errorsOf({ ...base, event_id: 'x'.repeat(65), type: 'interaction.resolved', interaction_id: 'i' }),
    ).toEqual([{ field: 'event_id', message: 'must be at most 64 characters' }]);
  });

  it('decodes bytes: junk, truncation and non-objects are named', () => {
    expect(decodeEvent(Buffer.from([0xc3, 0x28]))).toMatchObject({
      ok: false,
      errors: [{ message: 'message is not valid UTF-8' }],
    });
    expect(decodeEvent(Buffer.from('{"a":'))).toMatchObject({
      ok: false,
      errors: [{ message: expect.stringMatching(/^invalid JSON/) }],
    });
    expect(decodeEvent(Buffer.from('[1]'))).toMatchObject({
      ok: false,
      errors: [{ field: '(event)', message: 'must be a JSON object, got an array' }],
    });
    expect(decodeEvent(null)).toMatchObject({ ok: false, errors: [{ message: 'message is empty' }] });
  });

  it('keeps unknown fields in attributes and converts times to UTC', () => {
    const r = parseEvent({
      ...base,
      type: 'interaction.opened',
      ...VALID['interaction.opened'],
      attributes: { a: 1 },
      crm_ref: 'X-1',
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const { table, row } = toRow(r.event, { topic: 't', partition: 2, offset: '17' });
    expect(table).toBe('interactions');
    expect(row).toMatchObject({
      occurred_at: '2026-03-02 01:15:00.000',
      priority: 'normal',
      _partition: 2,
      _offset: '17',
    });
    expect(JSON.parse(row['attributes'] as string)).toEqual({ a: 1, crm_ref: 'X-1' });
  });

  it.each([
    ['2026-03-02T01:15:00.000Z', '2026-03-02 01:15:00.000'],
    ['2026-03-02T09:15:00+08:00', '2026-03-02 01:15:00.000'],
    ['2026-03-02T00:15:00.5-01:30', '2026-03-02 01:45:00.500'],
    ['2026-03-02T01:15:00.123456Z', '2026-03-02 01:15:00.123'],
    ['2026-03-02T01:15Z', '2026-03-02 01:15:00.000'],
  ])('stores %s as UTC %s', (iso, want) => {
    expect(toClickHouseTime(iso)).toBe(want);
  });
});
