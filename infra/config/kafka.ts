/** Keys of Kafka: an existing cluster (brokers, TLS, SASL), cxpulse's topics, or the local broker. */
import path from 'node:path';
import { z } from 'zod';
import { CxError } from '../errors.ts';
import { bool, csv, int, type KeyTable, type Values } from './keys.ts';

export const kafkaKeys = {
  KAFKA_BROKERS: {
    default: undefined,
    doc: 'Comma-separated `host:port` list of an existing Kafka cluster. Unset: the local broker.',
    schema: csv.pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')).min(1)),
  },
  KAFKA_CLIENT_ID: { default: 'cxpulse', doc: 'Kafka client id.', schema: z.string().min(1) },
  KAFKA_SSL: { default: 'false', doc: 'Use TLS to the brokers.', schema: bool },
  KAFKA_SASL_MECHANISM: {
    default: 'none',
    doc: 'SASL mechanism: `none`, `plain`, `scram-sha-256`, `scram-sha-512`.',
    schema: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']),
  },
  KAFKA_SASL_USERNAME: { default: '', doc: 'SASL user name.', schema: z.string() },
  KAFKA_SASL_PASSWORD: { default: '', doc: 'SASL password.', schema: z.string() },
  KAFKA_TOPIC_PREFIX: {
    default: '',
    doc: 'Prefix of every topic name (`staging.` gives `staging.cx.interactions`).',
    schema: z.string().regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"'),
  },
  KAFKA_GROUP_ID: {
    default: 'cxpulse-ingest',
    doc: 'Consumer group of the ingesters; run more processes with the same id to scale out.',
    schema: z.string().min(1),
  },
  KAFKA_PARTITIONS: {
    default: '6',
    doc: 'Partitions of the event topics when cxpulse creates them (the upper bound on parallel consumers).',
    schema: int(1, 10_000),
  },
  KAFKA_RETENTION_HOURS: {
    default: '168',
    doc: 'Retention of the event topics when cxpulse creates them.',
    schema: int(1, 1_000_000),
  },
  KAFKA_DLQ_RETENTION_HOURS: {
    default: '720',
    doc: 'Retention of `cx.dlq` when cxpulse creates it.',
    schema: int(1, 1_000_000),
  },
  KAFKA_REPLICATION_FACTOR: {
    default: undefined,
    doc: 'Replicas of each partition of the topics cxpulse creates. Unset: 3, or the number of brokers when fewer. More than the cluster has brokers is refused.',
    schema: int(1, 32_767),
  },
  KAFKA_MIN_INSYNC_REPLICAS: {
    default: undefined,
    doc: '`min.insync.replicas` of the topics cxpulse creates: copies a write needs before it is acknowledged. Unset: 2 when the replication factor is 3 or more, else 1. More than the replication factor is refused.',
    schema: int(1, 32_767),
  },
  KAFKA_VERSION: {
    default: '4.4.0',
    doc: 'Apache Kafka version of the local broker (fetched from Maven Central).',
    schema: z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a version such as 4.4.0'),
  },
  KAFKA_LOCAL_PORT: { default: '9092', doc: 'Client port of the local broker.', schema: int(1, 65535) },
  KAFKA_LOCAL_CONTROLLER_PORT: {
    default: '9093',
    doc: 'KRaft controller port of the local broker.',
    schema: int(1, 65535),
  },
  KAFKA_LOCAL_HEAP_MB: { default: '768', doc: 'Java heap of the local broker.', schema: int(128, 65536) },
} satisfies KeyTable;

export function kafka(v: Values<typeof kafkaKeys>, dataDir: string) {
  const mech = v.KAFKA_SASL_MECHANISM;
  if (mech !== 'none' && !v.KAFKA_SASL_USERNAME) {
    throw new CxError('config_invalid', `KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM=${mech}`);
  }
  const [rf, minIsr] = [v.KAFKA_REPLICATION_FACTOR, v.KAFKA_MIN_INSYNC_REPLICAS];
  if (rf !== undefined && minIsr !== undefined && minIsr > rf) {
    throw new CxError(
      'config_invalid',
      `KAFKA_MIN_INSYNC_REPLICAS=${minIsr} exceeds KAFKA_REPLICATION_FACTOR=${rf}`,
    );
  }
  return {
    /** undefined = local broker */
    brokers: v.KAFKA_BROKERS,
    clientId: v.KAFKA_CLIENT_ID,
    ssl: v.KAFKA_SSL,
    sasl:
      mech === 'none'
        ? undefined
        : { mechanism: mech, username: v.KAFKA_SASL_USERNAME, password: v.KAFKA_SASL_PASSWORD },
    topicPrefix: v.KAFKA_TOPIC_PREFIX,
    groupId: v.KAFKA_GROUP_ID,
    partitions: v.KAFKA_PARTITIONS,
    retentionHours: v.KAFKA_RETENTION_HOURS,
    dlqRetentionHours: v.KAFKA_DLQ_RETENTION_HOURS,
    /** undefined = chosen from the cluster size (infra/kafka/replication.ts) */
    replicationFactor: v.KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: v.KAFKA_MIN_INSYNC_REPLICAS,
    local: {
      version: v.KAFKA_VERSION,
      port: v.KAFKA_LOCAL_PORT,
      controllerPort: v.KAFKA_LOCAL_CONTROLLER_PORT,
      heapMb: v.KAFKA_LOCAL_HEAP_MB,
      dir: path.join(dataDir, 'kafka'),
    },
  };
}
