import { describe, expect, it } from 'vitest';
import { parseEvent, topicOf, type CxEvent } from '../../../ingest/events.ts';
import { rowLineFrom } from '../../../ingest/row-line.ts';
import { toRow } from '../../../ingest/rows.ts';
import { rowLine } from '../../../ingest/sink.ts';
import { generateSample } from '../../../sample/index.ts';

/**
 * The direct row line (ingest/row-line.ts) against the reference path it replaces, `toRow` then
 * `rowLine`: the same JSON values, key for key, for every event of the sample and for events with
 * everything odd a producer may send (time zones, sub-millisecond digits, missing optional fields,
 * Chinese text and emoji, attributes with unknown extras, extras named like another type's columns).
 */

const src = { topic: 'cx.interactions', partition: 4, offset: '9007199254740993' };

function reference(e: CxEvent): unknown {
  return JSON.parse(rowLine(toRow(e, src).row));
}

function direct(e: CxEvent): unknown {
  return JSON.parse(rowLineFrom(e, topicOf(e.type), src));
}

const ODD: Record<string, unknown>[] = [
  {
    event_id: '事件-1',
    type: 'interaction.opened',
    occurred_at: '2026-03-02T09:15:00.123456789+08:00',
    interaction_id: 'i1',
    customer_id: 'c1',
    channel: 'social',
    category: 'complaint',
    subject: '退款没到账 😡 "quoted" \\ back\nslash',
    attributes: { 来源: '小程序', n: 1.5, deep: { a: [1, 'x'] } },
    extra: { z: true },
    wait_seconds: 3,
  },
  {
    event_id: 'e2',
    type: 'interaction.first_response',
    occurred_at: '2026-03-02T09:15Z',
    schema_version: 1,
    interaction_id: 'i1',
    channel: 7,
  },
  {
    event_id: 'e3',
    type: 'interaction.abandoned',
    occurred_at: '1900-01-01T08:00:00+08:00',
    interaction_id: 'i1',
    wait_seconds: 0.1,
  },
  {
    event_id: 'e4',
    type: 'customer.upserted',
    occurred_at: '2299-12-31T23:59:59.999Z',
    customer_id: 'c1',
    segment: 'vip',
    signed_up_at: '2025-06-30T23:30:00-05:30',
    region: '华东',
  },
  {
    event_id: 'e5',
    type: 'customer.purchased',
    occurred_at: '2026-03-02T09:15:00Z',
    customer_id: 'c',
    amount: 0.1,
  },
  {
    event_id: 'e6',
    type: 'survey.responded',
    occurred_at: '2026-03-02T09:15:00+0800',
    customer_id: 'c',
    survey: 'nps',
    score: 0,
    comment: '👍🏽 很好',
    language: 'zh-CN',
  },
];

describe('the direct row line holds the values of toRow + rowLine', () => {
  it.each(ODD.map((e) => [e['type'], e]))('on an odd %s', (_type, input) => {
    const r = parseEvent(input);
    if (!r.ok) throw new Error(`fixture must be valid: ${JSON.stringify(r.errors)}`);
    expect(direct(r.event)).toEqual(reference(r.event));
  });

  it('on every event of the sample', () => {
    let n = 0;
    for (const e of generateSample({ seed: 42, customers: 400, days: 60 })) {
      const r = parseEvent(JSON.parse(JSON.stringify(e)));
      if (!r.ok) throw new Error('the sample must be valid');
      const [got, want] = [direct(r.event), reference(r.event)];
      if (JSON.stringify(got) !== JSON.stringify(want)) expect(got).toEqual(want);
      expect(got).toEqual(want);
      n++;
    }
    expect(n).toBeGreaterThan(5000);
  });
});
