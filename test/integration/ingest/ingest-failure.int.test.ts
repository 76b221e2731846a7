import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * A store that stays down longer than every retry budget: the ingester never gives up. Each cycle of
 * INGEST_MAX_RETRIES ends with the consumer rebuilt; meanwhile /healthz says `degraded` with the reason
 * and how long, /metrics has cxpulse_ingester_degraded 1, and nothing is committed past the unstored
 * event. When the store is back the event is stored and committed, and the ingester runs again.
 */
let rt: Runtime | undefined;
afterAll(async () => rt?.close());

interface Health {
  status: string;
  ingester: { state: string; reason?: string; degradedSeconds?: number; restarts: number };
}

describe('a store that stays down', () => {
  it('keeps the ingester degraded and retrying, committing nothing, until the store is back', async () => {
    const cfg = testConfig(
      testEnv({
        INGEST_MAX_RETRIES: '2',
        INGEST_RETRY_INITIAL_MS: '50',
        INGEST_RETRY_MAX_MS: '200',
        INGEST_FLUSH_MS: '100',
      }),
    );
    rt = new Runtime(cfg);
    const ch = await rt.clickhouseUp();
    const db = cfg.clickhouse.database;
    await ch.command({ query: `DETACH TABLE ${db}.survey_events` });
    const ingester = await rt.startIngester();
    const server = await rt.startServer({ collector: false, tokens: [] });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const kafka = new Kafka({ clientId: 'x', brokers: cfg.kafka.brokers!, logLevel: logLevel.NOTHING });

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: rt.topics!.surveys,
      messages: [
        {
          key: 'c',
          value: JSON.stringify({
            event_id: 'f1',
            type: 'survey.responded',
            occurred_at: '2026-01-01T00:00:00Z',
            customer_id: 'c',
            survey: 'nps',
            score: 9,
          }),
        },
      ],
    });
    await producer.disconnect();

    // several whole cycles of retries run out; each rebuilds the consumer, none ends the ingester
    await waitFor(
      'consumer rebuilt twice',
      async () => ingester.health().restarts,
      (n) => n >= 2,
      {
        timeoutMs: 60_000,
        intervalMs: 100,
      },
    );
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as Health;
    expect(report.status).toBe('degraded');
    expect(report.ingester.state).toBe('degraded');
    expect(report.ingester.reason).toMatch(/survey_events/);
    expect(report.ingester.degradedSeconds).toBeGreaterThan(0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^cxpulse_ingester_up 0$/m);
    expect(metrics).toMatch(/^cxpulse_ingester_degraded 1$/m);
    expect(
      Number(/^cxpulse_ingest_retries_total\{operation="write"\} (\d+)$/m.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(4);
    expect(Number(/^cxpulse_ingester_restarts_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);

    const admin = kafka.admin();
    await admin.connect();
    const committed = async () =>
      (await admin.fetchOffsets({ groupId: cfg.kafka.groupId, topics: [rt!.topics!.surveys] }))[0]!
        .partitions;
    for (const p of await committed()) expect(p.offset, 'nothing committed').toBe('-1');

    // the store comes back: stored, committed, running
    await ch.command({ query: `ATTACH TABLE ${db}.survey_events` });
    await waitFor(
      'stored',
      async () => {
        const rs = await ch.query({
          query: `SELECT count() AS n FROM ${db}.survey_events`,
          format: 'JSONEachRow',
        });
        return Number((await rs.json<{ n: string }>())[0]!.n);
      },
      (n) => n === 1,
      { timeoutMs: 60_000 },
    );
    await waitFor('committed', committed, (ps) => ps.some((p) => p.offset === '1'), { timeoutMs: 30_000 });
    await admin.disconnect();
    await waitFor(
      'running',
      async () => ingester.health().state,
      (s) => s === 'running',
      { timeoutMs: 30_000 },
    );
    const after = (await (await fetch(`${base}/healthz`)).json()) as Health;
    expect(after.status).toBe('ok');
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^cxpulse_ingester_up 1$/m);
  });
});
