import { CxError } from '../infra/errors.ts';

/**
 * Turns for the analysts' queries: at most `slots` run at once, at most `perCaller` of them for one
 * caller, so one caller can never take every slot. A query that cannot start waits, first come first
 * served among the callers that may start; past `maxWaitMs` it fails with `sql_busy` (HTTP 503 with
 * `Retry-After`). A caller that goes away while waiting leaves the queue.
 */
export class FairQueue {
  private active = 0;
  private readonly running = new Map<string, number>();
  private readonly waiting: { caller: string; go: () => void }[] = [];

  constructor(
    private readonly slots: number,
    private readonly perCaller: number,
    private readonly maxWaitMs: number,
  ) {}

  /** Wait for a turn; the returned function ends it (calling it twice is harmless). */
  acquire(caller: string, signal?: AbortSignal): Promise<() => void> {
    if (this.waiting.length === 0 && this.canStart(caller)) return Promise.resolve(this.start(caller));
    return new Promise((resolve, reject) => {
      const entry = {
        caller,
        go: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(this.start(caller));
        },
      };
      const leave = (err: Error) => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        reject(err);
      };
      const onAbort = () => leave(new CxError('sql_failed', 'the client went away while its query waited'));
      const timer = setTimeout(() => leave(this.busy()), this.maxWaitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
      this.next();
    });
  }

  /** Queries running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.active, waiting: this.waiting.length };
  }

  private busy(): CxError {
    const seconds = Math.max(1, Math.ceil(this.maxWaitMs / 1000));
    return new CxError(
      'sql_busy',
      `every SQL slot this caller may use has been busy for ${seconds} s: try again shortly (SQL_CONCURRENCY sets the slots)`,
      { retriable: true, details: { retry_after_seconds: seconds } },
    );
  }

  private canStart(caller: string): boolean {
    return this.active < this.slots && (this.running.get(caller) ?? 0) < this.perCaller;
  }

  private start(caller: string): () => void {
    this.active++;
    this.running.set(caller, (this.running.get(caller) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
      const left = (this.running.get(caller) ?? 1) - 1;
      if (left > 0) this.running.set(caller, left);
      else this.running.delete(caller);
      this.next();
    };
  }

  private next(): void {
    for (let i = 0; i < this.waiting.length && this.active < this.slots;) {
      const w = this.waiting[i] as (typeof this.waiting)[number];
      if (this.canStart(w.caller)) {
        this.waiting.splice(i, 1);
        w.go();
      } else i++;
    }
  }
}
