/**
 * Reading a topic's offsets straight after creating it, against the run's real broker: the metadata
 * can name a leader that has not taken the partition yet, and kafkajs's own `fetchTopicOffsets` gives
 * up on that at once. `topicOffsets` waits it out (bounded), so a fresh start that asks "is the topic
 * empty?" (the sample seeding) gets an answer instead of an error.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { topicOffsets } from '../../../infra/kafka/client.ts';
import { rand } from '../../helpers/env.ts';

const kafka = new Kafka({
  clientId: 'topic-offsets-test',
  brokers: inject('kafkaBrokers').split(','),
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();

beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
});

describe('topicOffsets', { timeout: 120_000 }, () => {
  it('answers for topics asked about the moment they are created', async () => {
    const failures: string[] = [];
    for (let round = 0; round < 10; round++) {
      const topic = `offsets-${rand()}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: false });
      const offsets = await topicOffsets(admin, topic).catch((err: unknown) => {
        failures.push(String(err));
        return [];
      });
      if (offsets.length > 0) expect(offsets.map((p) => Number(p.high))).toEqual([0, 0, 0, 0, 0, 0]);
    }
    expect(failures).toEqual([]);
  });
});
