import { describe, expect, it } from 'vitest';
import { PartitionCommits } from '../../../ingest/partition-commits.ts';

/** A promise settled from outside, as a chunk's `stored` is settled by its group's insert. */
function deferred(): { p: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const p = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  p.catch(() => undefined);
  return { p, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

function harness(refuse: (offset: string) => boolean = () => false) {
  const log: string[] = [];
  const failures: unknown[] = [];
  const commits = new PartitionCommits({
    commit: async (topic, partition, offset) => {
      await tick();
      if (refuse(offset)) return false;
      log.push(`${topic}/${partition}@${offset}`);
      return true;
    },
    failed: (err) => failures.push(err),
  });
  return { log, failures, commits };
}

describe('PartitionCommits', () => {
  it("commits a partition's chunks in order, each only after it and every earlier one was stored", async () => {
    const { log, commits } = harness();
    const [a, b, c] = [deferred(), deferred(), deferred()];
    const done: string[] = [];
    commits.after('t', 0, '10', a.p, () => done.push('10'));
    commits.after('t', 0, '20', b.p, () => done.push('20'));
    commits.after('t', 1, '5', c.p, () => done.push('1:5'));
    b.resolve(); // the later chunk stored first: nothing may be committed yet
    await tick();
    await tick();
    expect(log).toEqual([]);
    c.resolve(); // another partition goes on its own
    for (let i = 0; i < 5; i++) await tick();
    expect(log).toEqual(['t/1@5']);
    a.resolve();
    await commits.settled();
    expect(log).toEqual(['t/1@5', 't/0@10', 't/0@20']);
    expect(done).toEqual(['1:5', '10', '20']);
  });

  it('stops a partition at a chunk that was not stored and reports the failure once', async () => {
    const { log, failures, commits } = harness();
    const [a, b, c] = [deferred(), deferred(), deferred()];
    commits.after('t', 0, '10', a.p, () => undefined);
    commits.after('t', 0, '20', b.p, () => undefined);
    commits.after('t', 0, '30', c.p, () => undefined);
    b.resolve();
    c.resolve();
    a.reject(new Error('insert failed'));
    await commits.settled();
    expect(log).toEqual([]);
    expect(failures.map((e) => (e as Error).message)).toEqual(['insert failed']);
  });

  it('goes on past a commit the rebalancing group refused, without reporting it', async () => {
    const { log, failures, commits } = harness((o) => o === '10');
    const ok = Promise.resolve();
    const seen: string[] = [];
    commits.after('t', 0, '10', ok, () => seen.push('10'));
    commits.after('t', 0, '20', ok, () => seen.push('20'));
    await commits.settled();
    expect(log).toEqual(['t/0@20']);
    expect(seen).toEqual(['20']);
    expect(failures).toEqual([]);
  });

  it('settles only after the commits asked for while it waited', async () => {
    const { log, commits } = harness();
    const a = deferred();
    commits.after('t', 0, '1', a.p, () => undefined);
    const settled = commits.settled();
    commits.after('t', 2, '7', Promise.resolve(), () => undefined);
    a.resolve();
    await settled;
    expect(log.sort()).toEqual(['t/0@1', 't/2@7']);
  });
});
