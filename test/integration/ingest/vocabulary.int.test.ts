import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import type { MetricAnswer, Vocabulary } from '../../../dashboards/wire.ts';
import { refreshRollups } from '../../../transforms/refresh.ts';
import { rand, testConfig, testEnv } from '../../helpers/env.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * The centre's own vocabulary end to end: segments configured with CUSTOMER_SEGMENTS
 * (here Chinese keys) are accepted by the collector and the ingester and served with their names in
 * both languages by `GET /api/v1/vocabulary`; a segment outside the list is a 400 naming `segment` and
 * the allowed values over HTTP and a DLQ row with that reason through Kafka; Chinese team, agent and
 * region names travel collector → Kafka → ClickHouse → the metrics API.
 */
const INGEST = 'vocabulary-ingest-token';
const VIEWER = 'vocabulary-viewer-token-0123';
const SEGMENTS = {
  重要客户: { 'zh-CN': '重要客户', en: 'Key account' },
  成长客户: { 'zh-CN': '成长客户', en: 'Growing' },
};
const ALLOWED = 'must be one of 重要客户, 成长客户';
let rt: Runtime;
let base: string;
let db: string;

beforeAll(async () => {
  const cfg = testConfig(
    testEnv({
      INGEST_FLUSH_MS: '100',
      ROLLUP_REFRESH_SCHEDULE: 'off',
      CXPULSE_API_TOKENS: `${VIEWER}=viewer`,
      CUSTOMER_SEGMENTS: JSON.stringify(SEGMENTS),
      DISPLAY_NAMES: JSON.stringify({
        team_id: { 华东二组: { 'zh-CN': '华东二组', en: 'East 2' } },
        region: { 华东: { en: 'East China' } },
      }),
    }),
  );
  rt = new Runtime(cfg);
  db = cfg.clickhouse.database;
  await rt.startIngester();
  const server = await rt.startServer({
    collector: true,
    tokens: [INGEST],
    api: { tokens: cfg.http.apiTokens },
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await rt?.close();
});

const post = (body: unknown) =>
  fetch(`${base}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const get = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${VIEWER}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
};

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await rt.clickhouse!.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

const customer = (id: string, segment: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  type: 'customer.upserted',
  occurred_at: '2026-03-02T09:00:00Z',
  customer_id: `客户-${id}`,
  segment,
  region: '华东',
  ...extra,
});

const storedSegments = (ids: string[]) =>
  rows<{ event_id: string; segment: string; region: string }>(
    `SELECT event_id, segment, region FROM ${db}.customer_events FINAL WHERE event_id IN {ids:Array(String)} ORDER BY event_id`,
    { ids },
  );

describe('configured segments', () => {
  it('stores a configured Chinese segment, reachable by its display names in both languages', async () => {
    const id = `s-${rand()}`;
    const res = await post(customer(id, '重要客户'));
    expect(res.status).toBe(202);
    const [row] = await waitFor(
      'stored',
      () => storedSegments([id]),
      (r) => r.length === 1,
      {
        timeoutMs: 30_000,
      },
    );
    expect(row).toMatchObject({ segment: '重要客户', region: '华东' });
    const vocab = await get<Vocabulary>('/api/v1/vocabulary');
    expect(vocab.segments).toEqual([
      { key: '重要客户', names: SEGMENTS['重要客户'] },
      { key: '成长客户', names: SEGMENTS['成长客户'] },
    ]);
    const names = vocab.segments.find((s) => s.key === row!.segment)!.names;
    expect(names).toEqual({ 'zh-CN': '重要客户', en: 'Key account' });
    expect(vocab.display_names.team_id['华东二组']).toEqual({ 'zh-CN': '华东二组', en: 'East 2' });
    expect(vocab.display_names.region['华东']).toEqual({ 'zh-CN': '华东', en: 'East China' });
    expect(vocab.display_names.agent_id).toEqual({});
  });

  it('refuses a segment outside the list over HTTP: 400 naming segment and the allowed values', async () => {
    const res = await post(customer(`h-${rand()}`, 'vip'));
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: {
        code: string;
        message: string;
        details: { rejected: { errors: { field: string; message: string }[] }[] };
      };
    };
    expect(body.error.code).toBe('invalid_event');
    expect(body.error.message).toBe(`segment ${ALLOWED}`);
    expect(body.error.details.rejected[0]!.errors).toEqual([{ field: 'segment', message: ALLOWED }]);
  });

  it('through Kafka: a configured segment is stored, one outside the list is a DLQ row with the reason', async () => {
    const good = `kg-${rand()}`;
    const bad = `kb-${rand()}`;
    const kafka = new Kafka({
      clientId: 'vocabulary-producer',
      brokers: rt.cfg.kafka.brokers!,
      logLevel: logLevel.NOTHING,
    });
    const p = kafka.producer();
    await p.connect();
    await p.send({
      topic: rt.topics!.customers,
      messages: [
        { key: 'k', value: JSON.stringify(customer(bad, 'regular')), partition: 0 },
        { key: 'k', value: JSON.stringify(customer(good, '成长客户')), partition: 0 },
      ],
    });
    await p.disconnect();
    await waitFor(
      'stored',
      () => storedSegments([good]),
      (r) => r.length === 1,
      { timeoutMs: 30_000 },
    );
    const dlq = await waitFor(
      'DLQ row',
      () =>
        rows<{ reason: string; raw_base64: string }>(`SELECT reason, raw_base64 FROM ${db}.dlq FINAL`).then(
          (r) => r.filter((x) => Buffer.from(x.raw_base64, 'base64').toString().includes(bad)),
        ),
      (r) => r.length === 1,
      { timeoutMs: 30_000 },
    );
    expect(dlq[0]!.reason).toBe(`invalid event: segment: ${ALLOWED}`);
    expect(await storedSegments([bad])).toEqual([]);
  });
});

describe('Chinese names of teams, agents and regions', () => {
  it('travel collector → Kafka → ClickHouse → the metrics API', async () => {
    const cust = `客户-${rand()}`;
    const opened = (n: number, team: string, agent: string) => ({
      event_id: `o-${rand()}-${n}`,
      type: 'interaction.opened',
      occurred_at: `2026-03-02T0${n}:15:00Z`,
      interaction_id: `i-${rand()}-${n}`,
      customer_id: cust,
      channel: 'phone',
      category: 'complaint',
      team_id: team,
      agent_id: agent,
      subject: '宽带故障，已经三天了',
    });
    const events = [
      customer(`c-${rand()}`, '重要客户', { customer_id: cust, region: '华南' }),
      opened(1, '华东二组', '张伟'),
      opened(2, '华东二组', '李娜'),
      opened(3, '华北一组', '张伟'),
    ];
    const res = await post(events);
    expect(res.status).toBe(202);
    const ids = events.map((e) => e.event_id);
    await waitFor(
      'stored',
      () =>
        rows<{ n: string }>(
          `SELECT (SELECT count() FROM ${db}.interaction_events FINAL WHERE event_id IN {ids:Array(String)}) +
                  (SELECT count() FROM ${db}.customer_events FINAL WHERE event_id IN {ids:Array(String)}) AS n`,
          { ids },
        ),
      (r) => Number(r[0]?.n) === 4,
      { timeoutMs: 30_000 },
    );
    const stored = await rows<{ subject: string }>(
      `SELECT subject FROM ${db}.interaction_events FINAL WHERE event_id = {id:String}`,
      { id: ids[1] },
    );
    expect(stored[0]?.subject).toBe('宽带故障，已经三天了');
    await refreshRollups(rt.clickhouse!, rt.cfg);
    const q = 'from=2026-03-02&to=2026-03-02&grain=day&segment=重要客户';
    const by = async (dim: string) => {
      const a = await get<MetricAnswer>(`/api/v1/metrics/interactions?${encodeURI(q)}&by=${dim}`);
      return Object.fromEntries(a.rows.map((r) => [r[dim] as string, r.value]));
    };
    expect(await by('team_id')).toEqual({ 华东二组: 2, 华北一组: 1 });
    expect(await by('agent_id')).toEqual({ 张伟: 2, 李娜: 1 });
    expect(await by('region')).toEqual({ 华南: 3 });
  });

  it('refuses a metric filter on a segment outside the list, naming it and the allowed ones', async () => {
    const res = await fetch(
      `${base}/api/v1/metrics/interactions?${encodeURI('from=2026-03-02&to=2026-03-02&segment=散客')}`,
      { headers: { authorization: `Bearer ${VIEWER}` } },
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('bad_parameter');
    expect(body.error.message).toBe('segment: "散客" is not a segment; use one of 重要客户, 成长客户');
  });
});
