/**
 * Each partition's offsets committed in order, each only after the chunks before it were stored.
 *
 * The ingester queues a chunk (group-commit.ts) and moves on to the next one; `after` commits the offset
 * past the chunk once its `stored` settled and the commits of the partition's earlier chunks are done.
 * A chunk that could not be stored stops its partition's later commits and is reported to `failed`
 * once: the ingester then rebuilds its consumer, which resumes from the last committed offset (the
 * storage absorbs what is delivered again). A commit that fails is reported the same way, unless
 * `commit` resolves to false (a commit the group refused while it rebalances: a later one covers it).
 */
export interface CommitHooks {
  /** Commit `offset` (the next to read) for the partition; false when the group refused it harmlessly. */
  commit: (topic: string, partition: number, offset: string) => Promise<boolean>;
  /** The first chunk that could not be stored, or commit that failed. */
  failed: (err: unknown) => void;
}

export class PartitionCommits {
  private readonly tails = new Map<string, Promise<void>>();
  private reported = false;

  constructor(private readonly hooks: CommitHooks) {}

  /** Commit `offset` after `stored` and the partition's earlier commits; `committed` runs on success. */
  after(
    topic: string,
    partition: number,
    offset: string,
    stored: Promise<void>,
    committed: () => void,
  ): void {
    const key = `${topic}\u0000${partition}`;
    const before = this.tails.get(key) ?? Promise.resolve();
    const tail = before
      .then(() => stored)
      .then(async () => {
        if (await this.hooks.commit(topic, partition, offset)) committed();
      });
    tail.catch((err: unknown) => {
      if (this.reported) return;
      this.reported = true;
      this.hooks.failed(err);
    });
    this.tails.set(key, tail);
  }

  /** Settles when every commit asked for so far, and any asked for meanwhile, is done or failed. */
  async settled(): Promise<void> {
    for (;;) {
      const tails = [...this.tails.values()];
      await Promise.allSettled(tails);
      if ([...this.tails.values()].every((t) => tails.includes(t))) return;
    }
  }
}
