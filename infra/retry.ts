import { setTimeout as sleep } from 'node:timers/promises';
import { CxError, errorMessage } from './errors.ts';

/** Retry policy: exponential backoff from `initialMs`, doubling, capped at `maxMs`, with jitter. */
export interface RetryPolicy {
  /** Retries after the first attempt; 0 = try once. */
  maxRetries: number;
  initialMs: number;
  maxMs: number;
}

export interface RetryHooks {
  /** Called before each wait; keep group membership alive here (kafkajs heartbeat). */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void | Promise<void>;
  /** Stop retrying early (shutdown, lost partition). The last error is thrown as is. */
  shouldAbort?: () => boolean;
  /** Longest single sleep between liveness checks; waits are sliced into pieces this long. */
  tickMs?: number;
  onTick?: () => void | Promise<void>;
}

/** Delay before retry number `attempt` (1-based), without jitter. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** (attempt - 1));
}

/**
 * Run `fn` until it succeeds, retrying only errors that say they are retriable (`retriable: true`) or
 * that `isRetriable` accepts. Bounded: after `maxRetries` retries the last error is wrapped in
 * `sink_retries_exhausted` so the caller fails loudly instead of looping forever.
 */
export async function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks & { isRetriable?: (err: unknown) => boolean } = {},
): Promise<T> {
  const retriable = hooks.isRetriable ?? ((err: unknown) => err instanceof CxError && err.retriable);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!retriable(err) || hooks.shouldAbort?.()) throw err;
      if (attempt > policy.maxRetries) {
        throw new CxError(
          'sink_retries_exhausted',
          `${what} failed ${attempt} times, giving up: ${errorMessage(err)}`,
          {
            cause: err,
          },
        );
      }
      const base = backoffDelay(policy, attempt);
      const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
      await hooks.onRetry?.({ attempt, delayMs, error: err });
      const tick = hooks.tickMs ?? delayMs;
      for (let waited = 0; waited < delayMs; waited += tick) {
        await sleep(Math.min(tick, delayMs - waited));
        if (hooks.shouldAbort?.()) throw err;
        await hooks.onTick?.();
      }
    }
  }
}
