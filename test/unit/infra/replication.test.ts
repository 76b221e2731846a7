import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../infra/config.ts';
import { isCxError } from '../../../infra/errors.ts';
import { chooseReplication, underReplicated } from '../../../infra/kafka/replication.ts';

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isCxError(err, 'config_invalid'), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected config_invalid, nothing was thrown');
}

describe('chooseReplication', () => {
  it.each([
    [1, 1, 1],
    [2, 2, 1],
    [3, 3, 2],
    [5, 3, 2],
  ])('defaults on %i broker(s): replication %i, min.insync %i', (brokers, rf, minIsr) => {
    expect(chooseReplication({ brokers })).toEqual({ replicationFactor: rf, minInsyncReplicas: minIsr });
  });

  it('takes configured values the cluster can honour', () => {
    expect(chooseReplication({ brokers: 5, replicationFactor: 5, minInsyncReplicas: 3 })).toEqual({
      replicationFactor: 5,
      minInsyncReplicas: 3,
    });
    expect(chooseReplication({ brokers: 3, replicationFactor: 2 })).toEqual({
      replicationFactor: 2,
      minInsyncReplicas: 1,
    });
    expect(chooseReplication({ brokers: 3, minInsyncReplicas: 3 })).toEqual({
      replicationFactor: 3,
      minInsyncReplicas: 3,
    });
  });

  it('refuses a replication factor above the broker count, naming the key and the count', () => {
    const msg = refused(() => chooseReplication({ brokers: 1, replicationFactor: 3 }));
    expect(msg).toMatch(/KAFKA_REPLICATION_FACTOR=3/);
    expect(msg).toMatch(/1 broker/);
  });

  it('refuses min.insync.replicas above the replication factor, also the default one', () => {
    expect(
      refused(() => chooseReplication({ brokers: 3, replicationFactor: 2, minInsyncReplicas: 3 })),
    ).toMatch(/KAFKA_MIN_INSYNC_REPLICAS=3 .*replication factor of 2/);
    expect(refused(() => chooseReplication({ brokers: 1, minInsyncReplicas: 2 }))).toMatch(
      /KAFKA_MIN_INSYNC_REPLICAS=2 .*replication factor of 1/,
    );
  });

  it('refuses an empty cluster', () => {
    expect(refused(() => chooseReplication({ brokers: 0 }))).toMatch(/0 brokers/);
  });
});

describe('underReplicated', () => {
  it('names topics whose fewest replicas on a partition are below the wanted factor', () => {
    const topics = [
      { name: 'a', partitions: [{ replicas: [1, 2, 3] }, { replicas: [2, 3, 1] }] },
      { name: 'b', partitions: [{ replicas: [1, 2, 3] }, { replicas: [2] }] },
      { name: 'c', partitions: [{ replicas: [1] }] },
    ];
    expect(underReplicated(topics, 3)).toEqual([
      { topic: 'b', replicas: 1 },
      { topic: 'c', replicas: 1 },
    ]);
    expect(underReplicated(topics, 1)).toEqual([]);
  });
});

describe('replication configuration', () => {
  it('is unset by default and parsed when given', () => {
    expect(loadConfig({}).kafka).toMatchObject({
      replicationFactor: undefined,
      minInsyncReplicas: undefined,
    });
    expect(loadConfig({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafka).toMatchObject(
      { replicationFactor: 3, minInsyncReplicas: 2 },
    );
  });

  it('refuses min.insync above the replication factor, and values below 1', () => {
    expect(
      refused(() => loadConfig({ KAFKA_REPLICATION_FACTOR: '2', KAFKA_MIN_INSYNC_REPLICAS: '3' })),
    ).toMatch(/KAFKA_MIN_INSYNC_REPLICAS=3 exceeds KAFKA_REPLICATION_FACTOR=2/);
    expect(refused(() => loadConfig({ KAFKA_REPLICATION_FACTOR: '0' }))).toMatch(/KAFKA_REPLICATION_FACTOR/);
  });
});
