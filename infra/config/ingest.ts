/** Keys of the collector and the ingester: the collector's deadline, batches, fetch size, retries. */
import { int, type KeyTable, type Values } from './keys.ts';

export const ingestKeys = {
  COLLECTOR_DEADLINE_MS: {
    default: '10000',
    doc: 'Longest wait of `POST /api/v1/events` for Kafka to acknowledge; then `503 kafka_unavailable` with `Retry-After`.',
    schema: int(100, 60_000),
  },
  INGEST_BATCH_SIZE: {
    default: '20000',
    doc: 'Most events written to ClickHouse in one insert.',
    schema: int(1, 1_000_000),
  },
  INGEST_FLUSH_MS: {
    default: '1000',
    doc: 'Longest wait for a batch to fill before it is written.',
    schema: int(1, 60_000),
  },
  INGEST_MAX_BYTES_PER_PARTITION: {
    default: '2097152',
    doc: 'Most bytes fetched from one partition per request.',
    schema: int(1024, 1_073_741_824),
  },
  INGEST_MAX_RETRIES: {
    default: '8',
    doc: 'Retries of a failing ClickHouse or Kafka write in one cycle; then the consumer is rebuilt and rejoins the group (the ingester never stops on its own).',
    schema: int(0, 1000),
  },
  INGEST_RETRY_INITIAL_MS: { default: '250', doc: 'First retry delay.', schema: int(1, 600_000) },
  INGEST_RETRY_MAX_MS: {
    default: '15000',
    doc: 'Cap of the exponentially growing retry delay.',
    schema: int(1, 3_600_000),
  },
} satisfies KeyTable;

export function ingest(v: Values<typeof ingestKeys>) {
  return {
    /** COLLECTOR_DEADLINE_MS */
    collectorDeadlineMs: v.COLLECTOR_DEADLINE_MS,
    batchSize: v.INGEST_BATCH_SIZE,
    flushMs: v.INGEST_FLUSH_MS,
    maxBytesPerPartition: v.INGEST_MAX_BYTES_PER_PARTITION,
    maxRetries: v.INGEST_MAX_RETRIES,
    retryInitialMs: v.INGEST_RETRY_INITIAL_MS,
    retryMaxMs: v.INGEST_RETRY_MAX_MS,
  };
}
