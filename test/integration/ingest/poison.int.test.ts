import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../cli/runtime.ts';
import { DATA_ERROR_CODES } from '../../../infra/clickhouse-errors.ts';
import type { Topics } from '../../../infra/kafka/topics.ts';
import { rand } from '../../helpers/env.ts';
import { startPipeline } from '../../helpers/runtime.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * Poison never stops ingestion. Each event below is sent over HTTP (a 400 naming the field) and
 * straight to Kafka (a DLQ row with its reason); one the store refuses for a reason the validator does
 * not know (an operator's CHECK constraint) is isolated by the ingester from the good rows of its
 * insert; a backfill spanning 200 months is stored. After all of it a good event is stored within 30 s,
 * and nothing else is in the DLQ.
 */
const TOKEN = 'poison-token';
const CONSTRAINT_TEXT = 'refused-by-the-store';
let rt: Runtime;
let base: string;
let db: string;
let topics: Topics;
let raw: Kafka;

const survey = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  type: 'survey.responded',
  occurred_at: '2026-03-02T09:15:00Z',
  customer_id: 'c-poison',
  survey: 'csat',
  score: 4,
  ...extra,
});

/** 6,000 levels are beyond JSON.stringify's stack: the text is written as a producer would. */
const deepText = (id: string) =>
  `${JSON.stringify(survey(id)).slice(0, -1)},"attributes":${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}}`;

/** Each poison as JSON text, exactly as a producer's bytes (JSON.stringify writes `\ud800` as an escape). */
const POISON: {
  name: string;
  text: (id: string) => string;
  field: string;
  reason: RegExp;
}[] = [
  {
    name: 'lone high surrogate',
    text: (id) => JSON.stringify(survey(id, { comment: 'bad \ud800 x' })),
    field: 'comment',
    reason: /surrogate/,
  },
  {
    name: 'lone low surrogate',
    text: (id) => JSON.stringify(survey(id, { comment: 'bad \udc00 x' })),
    field: 'comment',
    reason: /surrogate/,
  },
  {
    name: 'NUL in an id',
    text: (id) => JSON.stringify(survey(id, { customer_id: 'c\u0000x' })),
    field: 'customer_id',
    reason: /NUL/,
  },
  {
    name: '6,000-deep attributes',
    text: deepText,
    field: 'attributes',
    reason: /deeper than/,
  },
  {
    name: '900 KB attributes',
    text: (id) => JSON.stringify(survey(id, { attributes: { blob: 'x'.repeat(900 * 1024) } })),
    field: 'attributes',
    reason: /bytes/,
  },
  {
    name: 'year 1800',
    text: (id) => JSON.stringify(survey(id, { occurred_at: '1800-06-01T00:00:00Z' })),
    field: 'occurred_at',
    reason: /1900-01-01/,
  },
  {
    name: 'year 9999',
    text: (id) => JSON.stringify(survey(id, { occurred_at: '9999-06-01T00:00:00Z' })),
    field: 'occurred_at',
    reason: /2299-12-31/,
  },
];

function post(body: unknown): Promise<Response> {
  return fetch(`${base}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await rt.clickhouse!.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

const stored = (ids: string[]) =>
  rows<{ event_id: string }>(
    `SELECT DISTINCT event_id FROM ${db}.survey_events WHERE event_id IN {ids:Array(String)}`,
    {
      ids,
    },
  ).then((r) => r.map((x) => x.event_id).sort());

const dlqRows = () =>
  rows<{ source_offset: string; reason: string; raw_base64: string }>(
    `SELECT source_offset, reason, raw_base64 FROM ${db}.dlq FINAL ORDER BY source_offset`,
  );

async function produce(values: (string | Buffer)[]): Promise<void> {
  const p = raw.producer();
  await p.connect();
  // one partition, one send: the messages arrive in one batch and go into one insert
  await p.send({
    topic: topics.surveys,
    messages: values.map((value) => ({ key: 'c-poison', value, partition: 0 })),
  });
  await p.disconnect();
}

beforeAll(async () => {
  ({ rt, base, db } = await startPipeline([TOKEN], { INGEST_MAX_RETRIES: '2', INGEST_RETRY_MAX_MS: '500' }));
  topics = rt.topics!;
  raw = new Kafka({
    clientId: 'poison-producer',
    brokers: rt.cfg.kafka.brokers!,
    logLevel: logLevel.NOTHING,
  });
  // A rule the store keeps and the collector does not know.
  await rt.clickhouse!.command({
    query: `ALTER TABLE ${db}.survey_events ADD CONSTRAINT store_rule CHECK comment != '${CONSTRAINT_TEXT}'`,
  });
});

afterAll(async () => {
  await rt?.close();
});

describe('poison over HTTP', () => {
  it.each(POISON)('$name: 400 naming the field', async ({ text, field, reason }) => {
    const res = await post(text(`h-${rand()}`));
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; details: { rejected: { errors: { field: string; message: string }[] }[] } };
    };
    expect(body.error.code).toBe('invalid_event');
    const errors = body.error.details.rejected[0]!.errors;
    expect(errors.map((e) => e.field)).toContain(field);
    expect(errors.find((e) => e.field === field)!.message).toMatch(reason);
  });
});

describe('poison through Kafka, and what the store refuses', () => {
  it('dead-letters exactly the poison, stores its neighbours and a 200-month backfill, then keeps ingesting', async () => {
    const good = Array.from({ length: 6 }, () => `g-${rand()}`);
    const refused = `r-${rand()}`;
    const poison = POISON.map((p) => p.text(`k-${rand()}`));
    // the store's refusal in the middle of good rows of the same insert
    const values: string[] = [
      JSON.stringify(survey(good[0]!)),
      ...poison,
      JSON.stringify(survey(good[1]!)),
      JSON.stringify(survey(refused, { comment: CONSTRAINT_TEXT })),
      ...good.slice(2).map((id) => JSON.stringify(survey(id))),
    ];
    // the group settled first (a fresh broker's coordinator may still be loading at start)
    const warm = `w-${rand()}`;
    await produce([JSON.stringify(survey(warm))]);
    await waitFor(
      'warm-up stored',
      () => stored([warm]),
      (s) => s.length === 1,
      { timeoutMs: 30_000 },
    );
    const restartsBefore = rt.ingester!.health().restarts;
    await produce(values);
    await waitFor(
      'neighbours stored',
      () => stored(good),
      (ids) => ids.length === good.length,
      { timeoutMs: 30_000 },
    );
    const dlq = await waitFor('DLQ rows', dlqRows, (r) => r.length >= poison.length + 1, {
      timeoutMs: 30_000,
    });
    expect(dlq).toHaveLength(poison.length + 1);
    const reasons = dlq.map((r) => r.reason);
    POISON.forEach((p, i) => expect(reasons[i], p.name).toMatch(new RegExp(`${p.field}: .*`)));
    const storeReason = dlq.find((r) =>
      Buffer.from(r.raw_base64, 'base64').toString().includes(CONSTRAINT_TEXT),
    );
    expect(storeReason?.reason).toMatch(
      /^ClickHouse refused the row: VIOLATED_CONSTRAINT \(469\): Constraint `store_rule`/,
    );
    expect(await stored([refused])).toEqual([]);

    // a backfill whose one insert spans 200 months
    const backfill = Array.from({ length: 200 }, (_, i) =>
      survey(`b-${i}-${rand()}`, {
        occurred_at: `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-15T08:00:00Z`,
      }),
    );
    await produce(backfill.map((e) => JSON.stringify(e)));
    const ids = backfill.map((e) => e.event_id as string);
    await waitFor(
      'backfill stored',
      () => stored(ids),
      (s) => s.length === ids.length,
      { timeoutMs: 30_000 },
    );
    const months = await rows<{ n: string }>(
      `SELECT uniqExact(toYYYYMM(occurred_at)) AS n FROM ${db}.survey_events WHERE event_id IN {ids:Array(String)}`,
      { ids },
    );
    expect(Number(months[0]!.n)).toBe(200);

    // …and over HTTP: the collector accepts what only the store refuses; it lands in the DLQ too
    const viaHttp = `rh-${rand()}`;
    expect((await post(survey(viaHttp, { comment: CONSTRAINT_TEXT }))).status).toBe(202);
    const after = `after-${rand()}`;
    const t0 = Date.now();
    expect((await post(survey(after))).status).toBe(202);
    await waitFor(
      'good event after the poison',
      () => stored([after]),
      (s) => s.length === 1,
      { timeoutMs: 30_000 },
    );
    expect(Date.now() - t0).toBeLessThan(30_000);
    const final = await waitFor('DLQ rows', dlqRows, (r) => r.length >= poison.length + 2, {
      timeoutMs: 30_000,
    });
    expect(final, 'nothing else lands in the DLQ').toHaveLength(poison.length + 2);
    // and nothing wedged: every offset committed, no consumer rebuilt, never degraded
    const admin = raw.admin();
    await admin.connect();
    try {
      const end = await admin.fetchTopicOffsets(topics.surveys);
      await waitFor(
        'offsets committed to the end',
        async () =>
          (await admin.fetchOffsets({ groupId: rt.cfg.kafka.groupId, topics: [topics.surveys] }))[0]!
            .partitions,
        (ps) =>
          ps.every(
            (p) =>
              p.offset === (end.find((e) => e.partition === p.partition)?.high ?? '0') ||
              (p.offset === '-1' && end.find((e) => e.partition === p.partition)?.high === '0'),
          ),
        { timeoutMs: 15_000 },
      );
    } finally {
      await admin.disconnect();
    }
    const health = rt.ingester!.health();
    expect(health.state).toBe('running');
    expect(health.restarts, 'no consumer rebuilt after the poison').toBe(restartsBefore);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /^cxpulse_ingest_retries_total\{operation="write"\} 0$|^(?![\s\S]*cxpulse_ingest_retries_total\{)/m,
    );
  });

  it('knows the engine codes it blames rows for by their names', async () => {
    const codes = Object.values(DATA_ERROR_CODES);
    const named = await rows<{ n: number; name: string }>(
      'SELECT arrayJoin({c:Array(UInt32)}) AS n, errorCodeToName(n) AS name',
      { c: codes },
    );
    expect(Object.fromEntries(named.map((r) => [r.name, Number(r.n)]))).toEqual(DATA_ERROR_CODES);
  });
});
