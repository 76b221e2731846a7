/**
 * The local Kafka broker manager against a real broker (no mocks): start on free ports in a temp dir,
 * talk Kafka to it with kafkajs, idempotent start, stop, restart on the formatted storage, and the
 * clear failures (no Java, no Maven, a port taken).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCxError } from '../../../infra/errors.ts';
import { waitFor } from '../../helpers/wait.ts';
import {
  localBrokerPortOpen,
  localBrokerStatus,
  startLocalBroker,
  stopLocalBroker,
  type LocalBrokerOptions,
} from '../../../infra/kafka/broker.ts';
import { freePorts } from '../../../infra/kafka/ports.ts';

const VERSION = process.env['KAFKA_VERSION'] ?? '4.4.0';

async function expectCxError(p: Promise<unknown>, code: string, ...patterns: RegExp[]): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCxError(err), `expected a CxError, got ${String(err)}`).toBe(true);
  if (!isCxError(err)) return '';
  expect(err.code).toBe(code);
  for (const re of patterns) expect(err.message).toMatch(re);
  return err.message;
}

let tmp: string;
let opts: LocalBrokerOptions;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cxpulse-broker-'));
  const [port, controllerPort] = await freePorts(2);
  opts = {
    version: VERSION,
    port: port!,
    controllerPort: controllerPort!,
    heapMb: 384,
    dir: path.join(tmp, 'kafka'),
    startTimeoutMs: 90_000,
  };
});

afterAll(async () => {
  if (opts) await stopLocalBroker(opts).catch(() => undefined);
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 60_000);

describe('local Kafka broker', { timeout: 120_000 }, () => {
  it('names what to install when java is missing (javaBin)', async () => {
    await expectCxError(
      startLocalBroker({
        ...opts,
        dir: path.join(tmp, 'nojava'),
        javaBin: path.join(tmp, 'no-such-dir', 'java'),
      }),
      'dependency_missing',
      /Java 17\+ is required for the local Kafka broker/,
      /apt-get install openjdk-17-jre-headless/,
      /KAFKA_BROKERS/,
    );
  });

  it('names what to install when java is not on an emptied PATH', async () => {
    const saved = { PATH: process.env['PATH'], JAVA_HOME: process.env['JAVA_HOME'] };
    const emptyBin = path.join(tmp, 'empty-bin');
    await mkdir(emptyBin, { recursive: true });
    process.env['PATH'] = emptyBin;
    delete process.env['JAVA_HOME'];
    try {
      await expectCxError(
        startLocalBroker({ ...opts, dir: path.join(tmp, 'nojava2') }),
        'dependency_missing',
        /Java 17\+ is required/,
        /openjdk-17-jre-headless/,
      );
    } finally {
      process.env['PATH'] = saved.PATH;
      if (saved.JAVA_HOME !== undefined) process.env['JAVA_HOME'] = saved.JAVA_HOME;
    }
  });

  it('names what to install when the jars are missing and maven is too', async () => {
    const emptyRoot = path.join(tmp, 'empty-project');
    await mkdir(emptyRoot, { recursive: true });
    await expectCxError(
      startLocalBroker({
        ...opts,
        dir: path.join(tmp, 'nomaven'),
        projectRoot: emptyRoot,
        mvnBin: path.join(tmp, 'no-such-dir', 'mvn'),
      }),
      'dependency_missing',
      /Maven is required/,
      /apt-get install maven/,
    );
  });

  it('fails clearly when a port is taken by something else', async () => {
    const [port, controllerPort] = await freePorts(2);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', () => resolve()));
    try {
      await expectCxError(
        startLocalBroker({
          ...opts,
          port: port!,
          controllerPort: controllerPort!,
          dir: path.join(tmp, 'taken'),
        }),
        'port_in_use',
        new RegExp(`port ${port}\\b`),
        /KAFKA_LOCAL_PORT/,
      );
      await expectCxError(
        startLocalBroker({
          ...opts,
          port: controllerPort!,
          controllerPort: port!,
          dir: path.join(tmp, 'taken'),
        }),
        'port_in_use',
        new RegExp(`port ${port}\\b`),
        /KAFKA_LOCAL_CONTROLLER_PORT/,
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    expect(existsSync(path.join(tmp, 'taken', 'broker.pid'))).toBe(false);
  });

  it('starts, serves kafkajs, is idempotent, stops and restarts on its storage', async () => {
    const t0 = Date.now();
    const first = await startLocalBroker(opts);
    const startMs = Date.now() - t0;
    expect(first.alreadyRunning).toBe(false);
    expect(first.brokers).toEqual([`127.0.0.1:${opts.port}`]);
    expect(first.pid).toBeGreaterThan(0);
    expect(readFileSync(path.join(opts.dir, 'broker.pid'), 'utf8').trim()).toBe(String(first.pid));
    expect(existsSync(path.join(opts.dir, 'data', 'meta.properties'))).toBe(true);
    const clusterId = readFileSync(path.join(opts.dir, 'cluster.id'), 'utf8');
    const props = readFileSync(path.join(opts.dir, 'server.properties'), 'utf8');
    expect(props).toContain(
      `listeners=PLAINTEXT://127.0.0.1:${opts.port},CONTROLLER://127.0.0.1:${opts.controllerPort}`,
    );
    expect(props).toContain('auto.create.topics.enable=false');
    // Broker logs reach broker.log through log4j2 (the slf4j binding is on the classpath).
    const brokerLog = readFileSync(path.join(opts.dir, 'broker.log'), 'utf8');
    expect(brokerLog).toMatch(/INFO .*Kafka Server started/);
    expect(brokerLog).not.toMatch(/NOP\) logger/);
    console.info(`local Kafka broker started in ${startMs} ms`);

    const kafka = new Kafka({
      clientId: 'broker-int-test',
      brokers: first.brokers,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const topic = 'broker-int.test';
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })).toBe(
        true,
      );
      expect(await admin.listTopics()).toContain(topic);

      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k1', value: 'hello from cxpulse' }] });
      await producer.disconnect();

      const consumer = kafka.consumer({ groupId: 'broker-int-test' });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<{ key: string; value: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message consumed within 60 s')), 60_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve({ key: String(message.key), value: String(message.value) });
          },
        });
      });
      await consumer.disconnect();
      expect(received).toEqual({ key: 'k1', value: 'hello from cxpulse' });
    } finally {
      await admin.disconnect();
    }

    const second = await startLocalBroker(opts);
    expect(second).toEqual({ brokers: first.brokers, pid: first.pid, alreadyRunning: true });
    expect(await localBrokerStatus(opts)).toEqual({ running: true, pid: first.pid, brokers: first.brokers });
    // The same dir asked for other ports while it runs: a clear error, not a second broker.
    await expectCxError(
      startLocalBroker({ ...opts, port: opts.port + 1 }),
      'broker_start_failed',
      /is running with listeners/,
      /KAFKA_LOCAL_PORT/,
    );

    expect(await stopLocalBroker(opts)).toBe(true);
    expect(await localBrokerPortOpen(opts)).toBe(false);
    expect(existsSync(path.join(opts.dir, 'broker.pid'))).toBe(false);
    expect(await localBrokerStatus(opts)).toEqual({ running: false, brokers: first.brokers });
    expect(await stopLocalBroker(opts)).toBe(false);

    // Restart: the storage is not formatted again; the topic and its message survive.
    const third = await startLocalBroker(opts);
    expect(third.alreadyRunning).toBe(false);
    expect(third.pid).not.toBe(first.pid);
    expect(readFileSync(path.join(opts.dir, 'cluster.id'), 'utf8')).toBe(clusterId);
    const admin2 = kafka.admin();
    await admin2.connect();
    try {
      expect(await admin2.listTopics()).toContain(topic);
      // After a restart the partition leaders come back a moment after the broker answers.
      const total = await waitFor(
        'partition leaders after restart',
        () =>
          admin2.fetchTopicOffsets(topic).then(
            (offsets) => offsets.reduce((n, o) => n + Number(o.high), 0),
            () => -1,
          ),
        (n) => n >= 0,
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(total).toBe(1);
    } finally {
      await admin2.disconnect();
    }
    expect(await stopLocalBroker(opts)).toBe(true);
    expect(await localBrokerPortOpen(opts)).toBe(false);
  });
});
