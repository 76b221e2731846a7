import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../infra/config.ts';

/** A short random name part, so test runs never share topics, groups or databases. */
export function rand(): string {
  return randomBytes(4).toString('hex');
}

let processDataDir: string | undefined;

/** One chDB data dir per test process: the engine in a process can open only one. */
export function sharedDataDir(): string {
  processDataDir ??= mkdtempSync(path.join(tmpdir(), 'cxpulse-test-'));
  return processDataDir;
}

/**
 * Environment of one test: the run's real broker, a random topic prefix, group and database, and a
 * fresh embedded ClickHouse data dir (or the ClickHouse server in CLICKHOUSE_URL).
 */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const id = rand();
  const env: Record<string, string> = {
    CXPULSE_DATA_DIR: sharedDataDir(),
    CLICKHOUSE_DATABASE: `cxtest_${id}`,
    KAFKA_BROKERS: inject('kafkaBrokers'),
    KAFKA_TOPIC_PREFIX: `t${id}.`,
    KAFKA_GROUP_ID: `g${id}`,
    KAFKA_PARTITIONS: '3',
    HTTP_PORT: '0',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
  };
  for (const k of ['CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD']) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  return { ...env, ...overrides };
}

export function testConfig(env: Record<string, string>): Config {
  return loadConfig(env);
}
