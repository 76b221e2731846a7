import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalBroker, stopLocalBroker, type LocalBrokerOptions } from '../infra/kafka/broker.ts';
import { freePort } from './helpers/ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

/**
 * One real Kafka broker for the whole run: the local KRaft broker on free ports, or the cluster in
 * KAFKA_BROKERS. Every test file uses its own random topic prefix, consumer group and database.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env['TZ'] = 'UTC';
  if (process.env['KAFKA_BROKERS']) {
    project.provide('kafkaBrokers', process.env['KAFKA_BROKERS']);
    return async () => undefined;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'cxpulse-test-kafka-'));
  const opts: LocalBrokerOptions = {
    version: process.env['KAFKA_VERSION'] ?? '4.4.0',
    port: await freePort(),
    controllerPort: await freePort(),
    heapMb: 768,
    dir,
  };
  const broker = await startLocalBroker(opts);
  project.provide('kafkaBrokers', broker.brokers.join(','));
  return async () => {
    await stopLocalBroker(opts);
    rmSync(dir, { recursive: true, force: true });
  };
}
