import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import { CxError, errorMessage } from '../infra/errors.ts';

export interface OutMessage {
  key: string;
  value: string | Buffer;
}

/**
 * The Kafka producer behind a small interface: durable (`acks: all`) and idempotent, so a retried
 * send is not written twice by the broker; a duplicate that still slips through (a client retry after
 * a timeout) is absorbed by the storage, keyed on event_id.
 */
export class EventProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly compression: CompressionTypes = CompressionTypes.None,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
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
   * travel as one batch: larger sends go in slices of at most SEND_SLICE_BYTES, in order.
   */
  async send(topic: string, messages: readonly OutMessage[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      for (const slice of slices(messages)) {
        await this.producer.send({ topic, acks: -1, compression: this.compression, messages: slice });
      }
    } catch (err) {
      throw new CxError(
        'kafka_unavailable',
        `producing ${messages.length} message(s) to ${topic} failed: ${errorMessage(err)}`,
        {
          retriable: true,
          cause: err,
        },
      );
    }
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
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
