import { Kafka, logLevel as KafkaLogLevel, type Admin, type SASLOptions, type LogEntry } from 'kafkajs';
import type { Config } from '../config.ts';
import { CxError, isCxError } from '../errors.ts';
import { logger } from '../logger.ts';
import { withRetry } from '../retry.ts';
import { chooseReplication, underReplicated, type Replication } from './replication.ts';
import { topicNames, type Topics } from './topics.ts';

export type { Kafka };

/** Brokers to talk to: the configured cluster, or the local broker. */
export function brokerList(cfg: Config['kafka']): string[] {
  return cfg.brokers ?? [`127.0.0.1:${cfg.local.port}`];
}

/** The one place that builds a kafkajs client from configuration. */
export function createKafka(cfg: Config['kafka'], clientSuffix = ''): Kafka {
  const log = logger('kafkajs');
  const sasl: SASLOptions | undefined = cfg.sasl
    ? ({
        mechanism: cfg.sasl.mechanism,
        username: cfg.sasl.username,
        password: cfg.sasl.password,
      } as SASLOptions)
    : undefined;
  return new Kafka({
    clientId: cfg.clientId + clientSuffix,
    brokers: brokerList(cfg),
    ssl: cfg.ssl,
    ...(sasl ? { sasl } : {}),
    connectionTimeout: 5000,
    // kafkajs retries its own requests (leader moves, coordinator loading); a bounded number of times.
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        // A coordinator that is still loading right after broker start is retried by kafkajs itself.
        const quiet = /coordinator is (loading|not available)/i.test(String(rest['error'] ?? ''));
        // kafkajs warns about bounded retries on an idempotent producer; a duplicate that a bounded
        // retry lets through is absorbed by the storage (keyed on event_id), so it is not news.
        if (/Limiting retries for the idempotent producer|switched default partitioner/.test(message)) {
          log.debug({ event_name: 'kafkajs' }, message);
          return;
        }
        const ctx = { event_name: 'kafkajs', ...rest };
        if (quiet) log.debug(ctx, message);
        else if (level <= KafkaLogLevel.ERROR) log.error(ctx, message);
        else if (level <= KafkaLogLevel.WARN) log.warn(ctx, message);
        else log.debug(ctx, message);
      },
  });
}

/**
 * Create cxpulse's topics when missing (partitions, retention and replication from configuration; the
 * replication defaults to the cluster's size, see {@link chooseReplication}). Existing topics are left as
 * they are: on a real cluster they belong to the operators; one with fewer replicas than configured is
 * logged (`topic_under_replicated`). An impossible replication fails with `config_invalid`.
 */
export async function ensureTopics(kafka: Kafka, cfg: Config['kafka']): Promise<Topics> {
  const topics = topicNames(cfg.topicPrefix);
  const admin: Admin = kafka.admin();
  try {
    await admin.connect();
    const replication = chooseReplication({
      brokers: (await admin.describeCluster()).brokers.length,
      replicationFactor: cfg.replicationFactor,
      minInsyncReplicas: cfg.minInsyncReplicas,
    });
    const existing = new Set(await admin.listTopics());
    await warnUnderReplicated(
      admin,
      [...existing].filter((t) => Object.values(topics).includes(t)),
      replication,
    );
    const hours = (h: number) => String(h * 3_600_000);
    const wanted = [
      { topic: topics.interactions, numPartitions: cfg.partitions, retention: hours(cfg.retentionHours) },
      { topic: topics.surveys, numPartitions: cfg.partitions, retention: hours(cfg.retentionHours) },
      {
        topic: topics.customers,
        numPartitions: Math.max(1, Math.ceil(cfg.partitions / 2)),
        retention: hours(cfg.retentionHours),
      },
      { topic: topics.dlq, numPartitions: 1, retention: hours(cfg.dlqRetentionHours) },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      // Not waitForLeaders: kafkajs gives up on the first "unknown topic" while the controller is
      // still creating it (seen with several clients creating topics at once); we wait ourselves.
      await admin.createTopics({
        waitForLeaders: false,
        topics: wanted.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          replicationFactor: replication.replicationFactor,
          configEntries: [
            { name: 'retention.ms', value: t.retention },
            { name: 'min.insync.replicas', value: String(replication.minInsyncReplicas) },
          ],
        })),
      });
      logger('kafka').info(
        { event_name: 'topics_created', topics: wanted.map((t) => t.topic), ...replication },
        'created topics',
      );
    }
    await waitForLeaders(admin, Object.values(topics));
    return topics;
  } catch (err) {
    if (isCxError(err, 'config_invalid')) throw err;
    throw new CxError(
      'kafka_unavailable',
      `cannot create Kafka topics on ${brokerList(cfg).join(',')}: ${String(err)}`,
      {
        retriable: true,
        cause: err,
      },
    );
  } finally {
    await admin.disconnect();
  }
}

/** Log (never alter) existing topics of ours with fewer replicas than the configured replication. */
async function warnUnderReplicated(admin: Admin, names: string[], replication: Replication): Promise<void> {
  if (names.length === 0) return;
  // A topic another process is creating right now may not have metadata yet: nothing to warn about.
  const meta = await admin.fetchTopicMetadata({ topics: names }).catch(() => ({ topics: [] }));
  for (const t of underReplicated(meta.topics, replication.replicationFactor)) {
    logger('kafka').warn(
      {
        event_name: 'topic_under_replicated',
        topic: t.topic,
        replicas: t.replicas,
        configured_replication_factor: replication.replicationFactor,
      },
      `topic ${t.topic} has ${t.replicas} replica(s), fewer than the ${replication.replicationFactor} configured; ` +
        'it is left as it is (raise it with kafka-reassign-partitions)',
    );
  }
}

/**
 * Each partition's low and high offsets of `topic`, retried (bounded) while the broker answers with a
 * retriable error: right after a topic is created, its metadata can name a leader that has not taken
 * the partition yet ("not the leader for that topic-partition"), and kafkajs's `fetchTopicOffsets`
 * retries only an unknown topic.
 */
export async function topicOffsets(
  admin: Admin,
  topic: string,
): Promise<Awaited<ReturnType<Admin['fetchTopicOffsets']>>> {
  return withRetry(
    `reading the offsets of ${topic}`,
    () => admin.fetchTopicOffsets(topic),
    { maxRetries: 10, initialMs: 100, maxMs: 2000 },
    { isRetriable: (err) => (err as { retriable?: unknown } | null)?.retriable === true },
  );
}

/** Wait until every partition of `names` has a leader (bounded). */
async function waitForLeaders(admin: Admin, names: string[]): Promise<void> {
  await withRetry(
    'waiting for topic leaders',
    async () => {
      const meta = await admin.fetchTopicMetadata({ topics: names }).catch((err: unknown) => {
        throw new CxError('kafka_unavailable', String(err), { retriable: true, cause: err });
      });
      const leaderless = meta.topics.filter(
        (t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0),
      );
      if (leaderless.length > 0) {
        throw new CxError(
          'kafka_unavailable',
          `no leader yet for ${leaderless.map((t) => t.name).join(', ')}`,
          {
            retriable: true,
          },
        );
      }
    },
    { maxRetries: 40, initialMs: 100, maxMs: 1000 },
  );
}
