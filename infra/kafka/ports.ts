/**
 * The local Kafka nodes' ports on 127.0.0.1: whether one is free, open, or answered by a Kafka broker;
 * picking free ones; refusing to start on taken ones with the configuration key that chose them.
 */
import net from 'node:net';
import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';
import { CxError } from '../errors.ts';

/** Every local node listens on loopback only. */
export const HOST = '127.0.0.1';

/** Whether a Kafka broker answers a real request (DescribeCluster) on `brokers`. */
export async function answersKafka(brokers: string[], timeoutMs = 3000): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'cxpulse-broker-probe',
    brokers,
    connectionTimeout: Math.min(timeoutMs, 2000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: KafkaLogLevel.NOTHING,
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    const done = (v: boolean) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Whether this process could bind 127.0.0.1:port (EADDRINUSE → false). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(false);
      else reject(err);
    });
    srv.listen({ host: HOST, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The single local broker's two ports must differ and be free; `port_in_use` names the key to change. */
export async function assertPortsFree(opts: { port: number; controllerPort: number }): Promise<void> {
  const ports: [number, string][] = [
    [opts.port, 'KAFKA_LOCAL_PORT'],
    [opts.controllerPort, 'KAFKA_LOCAL_CONTROLLER_PORT'],
  ];
  if (opts.port === opts.controllerPort) {
    throw new CxError(
      'config_invalid',
      `KAFKA_LOCAL_PORT and KAFKA_LOCAL_CONTROLLER_PORT must differ (both are ${opts.port})`,
    );
  }
  for (const [port, key] of ports) {
    if (!(await portFree(port))) {
      throw new CxError(
        'port_in_use',
        `cannot start the local Kafka broker: port ${port} on ${HOST} (${key}) is already in use by another process. ` +
          `Stop that process or set ${key} to a free port` +
          (key === 'KAFKA_LOCAL_PORT'
            ? `; if it is a Kafka broker you want to use, set KAFKA_BROKERS=${HOST}:${port}`
            : ''),
      );
    }
  }
}

/** Distinct free TCP ports on 127.0.0.1 (all held open while picking, so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, HOST, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}
