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

  /** Send to one topic and wait until every in-sync replica has the messages. */
  async send(topic: string, messages: readonly OutMessage[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.producer.send({
        topic,
        acks: -1,
        compression: this.compression,
        messages: messages as OutMessage[],
      });
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
