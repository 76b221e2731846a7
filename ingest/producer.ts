import {
  CompressionTypes,
  Partitioners,
  type ICustomPartitioner,
  type Kafka,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { CxError, errorMessage } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';

export interface OutMessage {
  key: string;
  value: string | Buffer;
}

/** Rounds of re-sending messages that kafkajs reported as sent without writing them. */
const MAX_RESENDS = 3;

/**
 * The messages whose partition has no entry in the broker's answer: not written, although `send`
 * resolved. kafkajs 2.2.4 answers a retried send from the brokers that answered an earlier attempt; when
 * the leader of a failed partition moves to one of them, that partition is never sent (seen with a
 * leader killed mid-stream, test/integration/infra/cluster.int.test.ts).
 */
export function unwritten<M extends object>(
  topic: string,
  messages: readonly M[],
  partitionOf: (m: M) => number | undefined,
  written: readonly Pick<RecordMetadata, 'topicName' | 'partition'>[],
): M[] {
  const ok = new Set(written.filter((r) => r.topicName === topic).map((r) => r.partition));
  return messages.filter((m) => {
    const p = partitionOf(m);
    return p === undefined || !ok.has(p);
  });
}

/**
 * The Kafka producer behind a small interface: durable (`acks: all`) and idempotent, so a retried
 * send is not written twice by the broker; a duplicate that still slips through (a client retry after
 * a timeout) is absorbed by the storage, keyed on event_id.
 *
 * Two guards against kafkajs 2.2.4 during a leader change (both seen losing acknowledged events with a
 * leader killed mid-stream, test/integration/infra/cluster.int.test.ts):
 * - `send` resolves only when every message's partition is in the brokers' answer ({@link unwritten});
 *   the others are sent again.
 * - kafkajs rewinds a partition's idempotence sequence when a request fails, although the broker may
 *   have written it; another send then reusing those sequence numbers is taken by the broker for a
 *   duplicate and silently dropped, yet reported written. So sends take turns (one at a time per
 *   process), and after a failed send the kafkajs producer is replaced (a new producer id, fresh
 *   sequences) before the next one.
 */
export class EventProducer {
  private producer: Producer;
  private connected = false;
  /** the last send failed: replace the producer before the next one */
  private tainted = false;
  /** sends take turns: each waits for the one before */
  private turn: Promise<unknown> = Promise.resolve();
  /** the partition kafkajs chose for each message of the sends in flight (its last attempt) */
  private readonly partitions = new WeakMap<object, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly compression: CompressionTypes = CompressionTypes.None,
  ) {
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    // kafkajs's default partitioner (Java-compatible murmur2 of the key), noting what it chose.
    const recording: ICustomPartitioner = () => {
      const partitioner = Partitioners.DefaultPartitioner();
      return (args) => {
        const p = partitioner(args);
        this.partitions.set(args.message, p);
        return p;
      };
    };
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: recording,
    });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  /**
   * Send to one topic and wait until every in-sync replica has the messages. Kafka refuses a record
   * batch over its `message.max.bytes` (1 MB by default), and the messages of one send to one partition
   * travel as one batch: larger sends go in slices of at most SEND_SLICE_BYTES, in order. A send whose
   * `signal` is aborted before its turn comes (its caller gave up waiting) is not sent at all.
   */
  send(topic: string, messages: readonly OutMessage[], signal?: AbortSignal): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const mine = this.turn.then(async () => {
      signal?.throwIfAborted();
      for (const slice of slices(messages)) await this.sendAll(topic, slice);
    });
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  private async sendAll(topic: string, messages: readonly OutMessage[]): Promise<void> {
    if (this.tainted) await this.replaceProducer();
    let pending = messages;
    for (let round = 0; pending.length > 0; round++) {
      if (round > MAX_RESENDS) {
        throw new CxError(
          'kafka_unavailable',
          `producing to ${topic}: ${pending.length} message(s) still not written after ${MAX_RESENDS} re-sends`,
          { retriable: true },
        );
      }
      const written = await this.sendOnce(topic, pending);
      const missed = unwritten(topic, pending, (m) => this.partitions.get(m), written);
      if (missed.length > 0) {
        logger('producer').warn(
          {
            event_name: 'produce_partition_skipped',
            topic,
            messages: missed.length,
            partitions: [...new Set(missed.map((m) => this.partitions.get(m)))],
            round,
          },
          `${missed.length} message(s) to ${topic} were not written by the last send; sending them again`,
        );
      }
      pending = missed;
    }
  }

  private async sendOnce(topic: string, messages: readonly OutMessage[]): Promise<RecordMetadata[]> {
    try {
      return await this.producer.send({
        topic,
        acks: -1,
        compression: this.compression,
        messages: messages as OutMessage[],
      });
    } catch (err) {
      this.tainted = true;
      throw new CxError(
        'kafka_unavailable',
        `producing ${messages.length} message(s) to ${topic} failed: ${errorMessage(err)}`,
        { retriable: true, cause: err },
      );
    }
  }

  /** A new kafkajs producer (new producer id) in place of one whose sequences may be wrong. */
  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.newProducer();
    await old.disconnect().catch(() => undefined);
    if (this.connected) {
      await this.producer.connect().catch((err: unknown) => {
        throw new CxError('kafka_unavailable', `reconnecting the Kafka producer: ${errorMessage(err)}`, {
          retriable: true,
          cause: err,
        });
      });
    }
    this.tainted = false;
    logger('producer').info(
      { event_name: 'producer_replaced' },
      'Kafka producer replaced after a failed send',
    );
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.turn;
    await this.producer.disconnect();
  }
}

/** Bytes of keys and values per send; well under Kafka's default 1 MB batch limit with its overhead. */
const SEND_SLICE_BYTES = 512 * 1024;

function slices(messages: readonly OutMessage[]): OutMessage[][] {
  const out: OutMessage[][] = [];
  let current: OutMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size =
      Buffer.byteLength(m.key) + (typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length);
    if (current.length > 0 && bytes + size > SEND_SLICE_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
