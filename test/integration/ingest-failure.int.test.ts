import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../cli/runtime.ts';
import { testConfig, testEnv } from '../helpers/env.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Retries are bounded: when ClickHouse stays unavailable the ingester gives up, commits nothing past
 * the failed batch, and says so in /healthz (503) and /metrics (cxpulse_ingester_up 0).
 */
let rt: Runtime | undefined;
afterAll(async () => rt?.close());

describe('a store that stays down', () => {
  it('fails the ingester visibly after the last retry, committing nothing', async () => {
    const cfg = testConfig(
      testEnv({
        INGEST_MAX_RETRIES: '2',
        INGEST_RETRY_INITIAL_MS: '50',
        INGEST_RETRY_MAX_MS: '100',
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

    const producer = new Kafka({
      clientId: 'x',
      brokers: cfg.kafka.brokers!,
      logLevel: logLevel.NOTHING,
    }).producer();
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

    await expect(ingester.done).rejects.toThrow(/failed 3 times, giving up/);
    expect(ingester.health().state).toBe('failed');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { ingester: { lastError: string } }).ingester.lastError).toMatch(
      /survey_events/,
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^cxpulse_ingester_up 0$/m);
    expect(metrics).toMatch(/^cxpulse_ingest_retries_total\{operation="write"\} 2$/m);

    const admin = new Kafka({
      clientId: 'a',
      brokers: cfg.kafka.brokers!,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const offsets = await waitFor(
      'offsets',
      () => admin.fetchOffsets({ groupId: cfg.kafka.groupId, topics: [rt!.topics!.surveys] }),
      () => true,
    );
    await admin.disconnect();
    for (const p of offsets[0]!.partitions) expect(p.offset, 'nothing committed').toBe('-1');
  });
});
