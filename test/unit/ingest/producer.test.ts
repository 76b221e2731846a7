import { describe, expect, it } from 'vitest';
import { unwritten } from '../../../ingest/producer.ts';

describe('unwritten', () => {
  const m = (key: string, partition: number | undefined) => ({ key, partition });
  const partitionOf = (x: { partition: number | undefined }) => x.partition;

  it('is empty when every message’s partition is in the answer', () => {
    const msgs = [m('a', 0), m('b', 1), m('c', 0)];
    const answer = [
      { topicName: 't', partition: 0 },
      { topicName: 't', partition: 1 },
    ];
    expect(unwritten('t', msgs, partitionOf, answer)).toEqual([]);
  });

  it('names the messages of a partition the answer lacks (a send that skipped a moved partition)', () => {
    const msgs = [m('a', 0), m('b', 1), m('c', 2), m('d', 2)];
    // answers of the brokers that answered the first attempt: partitions 0 and 1 only
    const answer = [
      { topicName: 't', partition: 0 },
      { topicName: 't', partition: 1 },
    ];
    expect(unwritten('t', msgs, partitionOf, answer)).toEqual([m('c', 2), m('d', 2)]);
  });

  it('counts only answers for the same topic, and a message with no known partition as unwritten', () => {
    const msgs = [m('a', 0), m('b', undefined)];
    expect(unwritten('t', msgs, partitionOf, [{ topicName: 'other', partition: 0 }])).toEqual(msgs);
    expect(unwritten('t', msgs, partitionOf, [{ topicName: 't', partition: 0 }])).toEqual([
      m('b', undefined),
    ]);
  });
});
