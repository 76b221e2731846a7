import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import type { Topics } from '../../../infra/kafka/topics.ts';
import { rand } from '../../helpers/env.ts';
import { startPipeline } from '../../helpers/runtime.ts';
import { waitFor } from '../../helpers/wait.ts';

const TOKEN = 'test-ingest-token';
let rt: Runtime;
let base: string;
let db: string;
let topics: Topics;
let raw: Kafka;

const at = '2026-03-02T09:15:00+08:00';
const opened = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  type: 'interaction.opened',
  occurred_at: at,
  interaction_id: `i-${id}`,
  customer_id: 'c1',
  channel: 'chat',
  category: 'complaint',
  ...extra,
});
const survey = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  type: 'survey.responded',
  occurred_at: at,
  customer_id: 'c1',
  survey: 'csat',
  score: 5,
  ...extra,
});

async function count(sql: string, params: Record<string, unknown> = {}): Promise<number> {
  const rs = await rt.clickhouse!.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

async function storedIds(ids: string[]): Promise<string[]> {
  const rs = await rt.clickhouse!.query({
    query: `SELECT DISTINCT event_id FROM (
      SELECT event_id FROM ${db}.interaction_events UNION ALL SELECT event_id FROM ${db}.survey_events
    ) WHERE event_id IN {ids:Array(String)} ORDER BY event_id`,
    query_params: { ids },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ event_id: string }>()).map((r) => r.event_id);
}

function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

beforeAll(async () => {
  ({ rt, base, db } = await startPipeline([TOKEN]));
  topics = rt.topics!;
  raw = new Kafka({ clientId: 'other-producer', brokers: rt.cfg.kafka.brokers!, logLevel: logLevel.NOTHING });
});

afterAll(async () => {
  await rt?.close();
});

describe('events reach ClickHouse', () => {
  it('stores an event POSTed to the collector', async () => {
    const id = `http-${rand()}`;
    const res = await post(JSON.stringify(opened(id, { note: 'kept as attribute' })));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, rejected: [] });
    await waitFor(
      'stored',
      () => storedIds([id]),
      (ids) => ids.length === 1,
    );
    const rs = await rt.clickhouse!.query({
      query: `SELECT channel, category, priority, attributes, occurred_at FROM ${db}.interaction_events WHERE event_id = {id:String}`,
      query_params: { id },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<Record<string, string>>();
    expect(row).toMatchObject({
      channel: 'chat',
      category: 'complaint',
      priority: 'normal',
      occurred_at: '2026-03-02 01:15:00.000',
    });
    expect(JSON.parse(row!['attributes']!)).toEqual({ note: 'kept as attribute' });
  });

  it('stores an event produced to Kafka by another client', async () => {
    const id = `kafka-${rand()}`;
    const p = raw.producer();
    await p.connect();
    await p.send({ topic: topics.surveys, messages: [{ key: 'c1', value: JSON.stringify(survey(id)) }] });
    await p.disconnect();
    await waitFor(
      'stored',
      () => storedIds([id]),
      (ids) => ids.length === 1,
    );
  });

  it('produces each event to its topic, keyed as the contract says', async () => {
    const id = rand();
    const sent = [
      opened(`key-i-${id}`),
      survey(`key-s-${id}`, { customer_id: `cust-${id}` }),
      { event_id: `key-c-${id}`, type: 'customer.churned', occurred_at: at, customer_id: `cust-${id}` },
    ];
    expect((await post(JSON.stringify(sent))).status).toBe(202);
    const seen = new Map<string, { topic: string; key: string }>();
    const consumer = raw.consumer({ groupId: `key-reader-${id}` });
    await consumer.connect();
    await consumer.subscribe({
      topics: [topics.interactions, topics.surveys, topics.customers],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const e = JSON.parse(String(message.value)) as { event_id: string };
        seen.set(e.event_id, { topic, key: String(message.key) });
      },
    });
    await waitFor(
      'messages',
      async () => sent.filter((e) => seen.has(e.event_id)).length,
      (n) => n === 3,
    );
    await consumer.disconnect();
    expect(seen.get(`key-i-${id}`)).toEqual({ topic: topics.interactions, key: `i-key-i-${id}` });
    expect(seen.get(`key-s-${id}`)).toEqual({ topic: topics.surveys, key: `cust-${id}` });
    expect(seen.get(`key-c-${id}`)).toEqual({ topic: topics.customers, key: `cust-${id}` });
  });

  it('refuses a request without a valid ingest token', async () => {
    const res = await post(JSON.stringify(opened(`x-${rand()}`)), { authorization: 'Bearer wrong' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

/** Bad inputs: the bytes, and what the answer must name. */
const BAD: {
  name: string;
  bytes: () => Buffer;
  status: number;
  code: string;
  names: RegExp;
  kafka: boolean;
}[] = [
  {
    name: 'truncated JSON',
    bytes: () => Buffer.from('{"event_id":"t1","type":"interaction.op'),
    status: 400,
    code: 'invalid_json',
    names: /not valid JSON|invalid JSON/,
    kafka: true,
  },
  {
    name: 'not an object',
    bytes: () => Buffer.from('"just a string"'),
    status: 400,
    code: 'invalid_event',
    names: /\(event\).*must be a JSON object/,
    kafka: true,
  },
  {
    name: 'unknown type',
    bytes: () => Buffer.from(JSON.stringify({ ...opened('u1'), type: 'interaction.teleported' })),
    status: 400,
    code: 'invalid_event',
    names: /type.*must be one of/,
    kafka: true,
  },
  {
    name: 'missing field',
    bytes: () => Buffer.from(JSON.stringify({ ...opened('m1'), customer_id: undefined })),
    status: 400,
    code: 'invalid_event',
    names: /customer_id.*is required/,
    kafka: true,
  },
  {
    name: 'bad enum value',
    bytes: () => Buffer.from(JSON.stringify(opened('b1', { channel: 'fax' }))),
    status: 400,
    code: 'invalid_event',
    names: /channel.*must be one of phone/,
    kafka: true,
  },
  {
    name: 'score out of range',
    bytes: () => Buffer.from(JSON.stringify(survey('s1', { score: 9 }))),
    status: 400,
    code: 'invalid_event',
    names: /score.*between 1 and 5/,
    kafka: true,
  },
  {
    name: 'timestamp without offset',
    bytes: () => Buffer.from(JSON.stringify(opened('o1', { occurred_at: '2026-03-02T09:15:00' }))),
    status: 400,
    code: 'invalid_event',
    names: /occurred_at.*with an offset/,
    kafka: true,
  },
  {
    name: 'unparsable date',
    bytes: () => Buffer.from(JSON.stringify(opened('d1', { occurred_at: '2026-02-30T09:15:00Z' }))),
    status: 400,
    code: 'invalid_event',
    names: /occurred_at.*not a real date/,
    kafka: true,
  },
  {
    name: 'wrong type',
    bytes: () => Buffer.from(JSON.stringify(survey('w1', { score: '5' }))),
    status: 400,
    code: 'invalid_event',
    names: /score.*must be an integer/,
    kafka: true,
  },
  {
    name: 'binary junk',
    bytes: () => Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x13, 0x37, 0xc3, 0x28]),
    status: 400,
    code: 'invalid_json',
    names: /not valid UTF-8/,
    kafka: true,
  },
  {
    name: 'body over 1 MiB',
    bytes: () =>
      Buffer.from(JSON.stringify(opened('big1', { subject: 'x'.repeat(900), pad: 'y'.repeat(1024 * 1024) }))),
    status: 413,
    code: 'payload_too_large',
    names: /larger than/,
    kafka: false,
  },
];

describe('bad inputs are refused with a reason that names the problem', () => {
  it.each(BAD)('HTTP: $name → $status $code', async (c) => {
    const res = await post(c.bytes());
    expect(res.status).toBe(c.status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(c.code);
    expect(body.error.message).toMatch(c.names);
  });

  it('HTTP: an array keeps its valid events and lists the bad ones', async () => {
    const ok1 = `mix-${rand()}`;
    const ok2 = `mix-${rand()}`;
    const res = await post(JSON.stringify([opened(ok1), survey('bad', { score: 0 }), survey(ok2)]));
    expect(res.status).toBe(202);
    const body = (await res.json()) as {
      accepted: number;
      rejected: { index: number; errors: { field: string }[] }[];
    };
    expect(body.accepted).toBe(2);
    expect(body.rejected).toEqual([
      {
        index: 1,
        event_id: 'bad',
        errors: [{ field: 'score', message: expect.stringMatching(/between 1 and 5/) }],
      },
    ]);
    await waitFor(
      'both stored',
      () => storedIds([ok1, ok2]),
      (ids) => ids.length === 2,
    );
  });

  it('Kafka: every bad message lands in the DLQ with its reason, source and bytes; valid neighbours are stored', async () => {
    const cases = BAD.filter((c) => c.kafka);
    const valid = cases.map(() => `ok-${rand()}`);
    const messages = cases.flatMap((c, i) => [
      { key: `k${i}`, value: c.bytes() },
      { key: `k${i}`, value: Buffer.from(JSON.stringify(opened(valid[i]!))) },
    ]);
    const p = raw.producer();
    await p.connect();
    const [meta] = await p.send({
      topic: topics.interactions,
      messages: messages.map((m) => ({ ...m, partition: 0 })),
    });
    await p.disconnect();
    const firstOffset = Number(meta!.baseOffset);

    await waitFor(
      'valid stored',
      () => storedIds(valid),
      (ids) => ids.length === valid.length,
    );
    const dlq = await waitFor(
      'DLQ rows',
      async () => {
        const rs = await rt.clickhouse!.query({
          query: `SELECT source_offset, reason, errors, raw_base64 FROM ${db}.dlq FINAL
                  WHERE source_topic = {t:String} AND source_partition = 0 AND source_offset >= {o:Int64} ORDER BY source_offset`,
          query_params: { t: topics.interactions, o: firstOffset },
          format: 'JSONEachRow',
        });
        return rs.json<{
          source_offset: string;
          reason: string;
          errors: [string, string][] | { field: string }[];
          raw_base64: string;
        }>();
      },
      (rows) => rows.length >= cases.length,
    );
    expect(dlq).toHaveLength(cases.length);
    cases.forEach((c, i) => {
      const row = dlq[i]!;
      expect(Number(row.source_offset), c.name).toBe(firstOffset + 2 * i);
      expect(row.reason, c.name).toMatch(c.names);
      expect(Buffer.from(row.raw_base64, 'base64').equals(c.bytes()), c.name).toBe(true);
    });

    // …and on the cx.dlq topic, in the contract's shape.
    const consumer = raw.consumer({ groupId: `dlq-reader-${rand()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.dlq, fromBeginning: true });
    const seen: {
      reason: string;
      errors: unknown[];
      source: { topic: string; partition: number; offset: string };
      raw: string;
      rejected_at: string;
    }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => void seen.push(JSON.parse(String(message.value))),
    });
    await waitFor(
      'DLQ topic',
      async () =>
        seen.filter((m) => m.source.topic === topics.interactions && Number(m.source.offset) >= firstOffset)
          .length,
      (n) => n >= cases.length,
    );
    await consumer.disconnect();
    const mine = seen.filter(
      (m) => m.source.topic === topics.interactions && Number(m.source.offset) >= firstOffset,
    );
    for (const m of mine) {
      expect(m.errors.length).toBeGreaterThan(0);
      expect(Date.parse(m.rejected_at)).not.toBeNaN();
      const c = cases[(Number(m.source.offset) - firstOffset) / 2]!;
      expect(m.reason).toMatch(c.names);
      expect(Buffer.from(m.raw, 'base64').equals(c.bytes())).toBe(true);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `cxpulse_dlq_events_total\\{topic="${topics.interactions.replaceAll('.', '\\.')}"\\} ${cases.length}`,
      ),
    );
  });
});

describe('health and metrics', () => {
  it('reports the ingester and pipeline counters', async () => {
    const h = await fetch(`${base}/healthz`);
    expect(h.status).toBe(200);
    expect(((await h.json()) as { ingester: { state: string } }).ingester.state).toMatch(/running|retrying/);
    const m = await (await fetch(`${base}/metrics`)).text();
    expect(m).toMatch(/cxpulse_ingester_up 1/);
    expect(m).toMatch(/cxpulse_events_ingested_total\{topic="[^"]+cx\.interactions"\} \d+/);
    expect(m).toMatch(/cxpulse_consumer_lag_messages\{/);
    expect(await count(`SELECT count() AS n FROM ${db}.schema_migrations`)).toBeGreaterThan(0);
  });
});
