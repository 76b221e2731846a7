/**
 * How many copies of each event topic partition Kafka keeps, and how many must have a write before a
 * produce with `acks=all` succeeds. Pure: the broker count comes from the caller (DescribeCluster).
 */
import { CxError } from '../errors.ts';

export interface Replication {
  /** replicas of every partition of the topics cxpulse creates */
  replicationFactor: number;
  /** `min.insync.replicas` of those topics */
  minInsyncReplicas: number;
}

export interface ReplicationWanted {
  /** brokers the cluster reports (DescribeCluster) */
  brokers: number;
  /** KAFKA_REPLICATION_FACTOR; undefined = min(3, brokers) */
  replicationFactor?: number | undefined;
  /** KAFKA_MIN_INSYNC_REPLICAS; undefined = 2 when the replication factor is 3 or more, else 1 */
  minInsyncReplicas?: number | undefined;
}

/**
 * The replication of cxpulse's topics. Defaults: three copies when the cluster has three brokers or
 * more (fewer on a smaller cluster) and two in-sync copies required when there are three, so a write
 * acknowledged with `acks=all` survives the loss of any one broker while one broker may be down without
 * stopping writes. Values the cluster cannot honour fail with `config_invalid`.
 */
export function chooseReplication(w: ReplicationWanted): Replication {
  if (!Number.isInteger(w.brokers) || w.brokers < 1) {
    throw new CxError('config_invalid', `the Kafka cluster reports ${w.brokers} brokers; need at least 1`);
  }
  const replicationFactor = w.replicationFactor ?? Math.min(3, w.brokers);
  if (replicationFactor > w.brokers) {
    throw new CxError(
      'config_invalid',
      `KAFKA_REPLICATION_FACTOR=${replicationFactor} is impossible: the Kafka cluster has ${w.brokers} ` +
        `broker(s); set it to at most ${w.brokers} or leave it unset`,
    );
  }
  const minInsyncReplicas = w.minInsyncReplicas ?? (replicationFactor >= 3 ? 2 : 1);
  if (minInsyncReplicas > replicationFactor) {
    throw new CxError(
      'config_invalid',
      `KAFKA_MIN_INSYNC_REPLICAS=${minInsyncReplicas} is impossible with a replication factor of ` +
        `${replicationFactor}: no write could ever be acknowledged; set it to at most ${replicationFactor}`,
    );
  }
  return { replicationFactor, minInsyncReplicas };
}

/** Existing topics with fewer replicas (on some partition) than `wanted`: name and their fewest replicas. */
export function underReplicated(
  topics: readonly { name: string; partitions: readonly { replicas: readonly number[] }[] }[],
  wanted: number,
): { topic: string; replicas: number }[] {
  return topics
    .map((t) => ({
      topic: t.name,
      replicas: t.partitions.length ? Math.min(...t.partitions.map((p) => p.replicas.length)) : 0,
    }))
    .filter((t) => t.replicas < wanted);
}
