import type { AddressInfo } from 'node:net';
import express from 'express';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../dashboards/app.ts';
import { createClickHouse, isEmbedded } from '../../../infra/clickhouse.ts';
import { memoryLimitError } from '../../../infra/clickhouse-errors.ts';
import { CxError } from '../../../infra/errors.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

/**
 * The engine's memory as configured (CLICKHOUSE_* memory keys, README "Memory"), against the real engine:
 * the caches' sizes and the server-wide limit the embedded engine starts with, the per-query limit on
 * every query of a client, and a query over that limit failing as `query_memory_limit`.
 */

const MIB = 1024 * 1024;
// The first client of this process starts the embedded engine, so its keys are the engine's.
const cfg = testConfig(
  testEnv({
    CLICKHOUSE_MARK_CACHE_MB: '48',
    CLICKHOUSE_INDEX_MARK_CACHE_MB: '16',
    CLICKHOUSE_UNCOMPRESSED_CACHE_MB: '8',
    CLICKHOUSE_MAX_SERVER_MEMORY_MB: '3072',
    CLICKHOUSE_MAX_MEMORY_USAGE_MB: '1536',
    CLICKHOUSE_MAX_THREADS: '2',
  }),
);
const ch = createClickHouse(cfg.clickhouse);
// A second client of the same engine with a tiny per-query limit.
const tinyCfg = testConfig(testEnv({ CLICKHOUSE_MAX_MEMORY_USAGE_MB: '4' }));
const tiny = createClickHouse(tinyCfg.clickhouse);
afterAll(async () => {
  await tiny.close();
  await ch.close();
});

async function rows<T>(client: typeof ch, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Far more than 4 MiB that cannot spill to disk: 20M numbers in one array. */
const HEAVY = 'SELECT length(groupArray(number)) AS n FROM numbers(20000000)';

describe('the engine memory configuration', () => {
  it.skipIf(!isEmbedded(cfg.clickhouse))(
    'the embedded engine starts with the configured cache sizes and server memory',
    async () => {
      const got = await rows<{ name: string; value: string }>(
        ch,
        `SELECT name, value FROM system.server_settings
         WHERE name IN ('mark_cache_size', 'index_mark_cache_size', 'uncompressed_cache_size', 'max_server_memory_usage')
         ORDER BY name`,
      );
      expect(Object.fromEntries(got.map((r) => [r.name, Number(r.value)]))).toEqual({
        index_mark_cache_size: 16 * MIB,
        mark_cache_size: 48 * MIB,
        max_server_memory_usage: 3072 * MIB,
        uncompressed_cache_size: 8 * MIB,
      });
    },
  );

  it('every query of a client runs under its per-query limit, threads and spill thresholds', async () => {
    const [s] = await rows<Record<string, string>>(
      ch,
      `SELECT getSetting('max_memory_usage') AS mem, getSetting('max_threads') AS threads,
              getSetting('max_bytes_before_external_group_by') AS spill`,
    );
    expect(Number(s?.['mem'])).toBe(1536 * MIB);
    expect(Number(s?.['threads'])).toBe(2);
    expect(Number(s?.['spill'])).toBe(768 * MIB);
    const [t] = await rows<{ mem: string }>(tiny, `SELECT getSetting('max_memory_usage') AS mem`);
    expect(Number(t?.mem)).toBe(4 * MIB);
  });

  it('a query over the limit fails as query_memory_limit; the same query passes under the larger one', async () => {
    const err = await rows(tiny, HEAVY).catch((e: unknown) => e);
    const typed = memoryLimitError(err);
    expect(typed).toBeInstanceOf(CxError);
    expect(typed?.code).toBe('query_memory_limit');
    expect(typed?.message).toMatch(/CLICKHOUSE_MAX_MEMORY_USAGE_MB/);
    expect((await rows<{ n: unknown }>(ch, HEAVY)).map((r) => Number(r.n))).toEqual([20_000_000]);
    // any other engine error is not a memory error
    expect(memoryLimitError(await rows(tiny, 'SELECT no_such_column').catch((e: unknown) => e))).toBeNull();
  });

  it('the HTTP layer answers it with 503 and the code, without Retry-After', async () => {
    const router = express.Router();
    router.get('/heavy', async (_req, res) => {
      res.json(await rows(tiny, HEAVY));
    });
    const app = createApp({ routers: [router], health: () => ({ ok: true }), registry: new Registry() });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/heavy`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeNull();
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('query_memory_limit');
      expect(body.error.message).toMatch(/memory limit/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
