/**
 * Each robot takes about 20 messages a minute (WeCom and DingTalk document 20; beyond it they refuse
 * and DingTalk mutes the robot for a while). The limiter keeps, per destination, when messages went
 * out in the last window and plans the next sends: while the budget lasts each notification is its own
 * message; when more are queued than the budget allows, the last message of the budget is one summary
 * of all the rest; when the budget is spent nothing goes out and the caller waits `waitMs`, queueing
 * what arrives meanwhile — so a burst becomes one summary, never a refusal. Pure (the clock is passed in).
 */

export interface LimitPolicy {
  /** messages per window per destination */
  limit: number;
  windowMs: number;
}

/** WeCom's and DingTalk's documented 20 messages a minute per robot. */
export const ROBOT_LIMIT: LimitPolicy = { limit: 20, windowMs: 60_000 };

export interface Plan<T> {
  /** the messages to send now, each one notification or a summary of several */
  messages: T[][];
  /** how long to wait before the next message may go out (0 when the budget is not spent) */
  waitMs: number;
}

/** The send times still inside the window at `now`. */
export const inWindow = (sentAt: readonly number[], now: number, policy: LimitPolicy): number[] =>
  sentAt.filter((t) => t > now - policy.windowMs && t <= now);

/** Plan the sends of `queued` at `now`, given the times of the messages already sent. */
export function planSends<T>(
  sentAt: readonly number[],
  now: number,
  queued: readonly T[],
  policy: LimitPolicy = ROBOT_LIMIT,
): Plan<T> {
  const recent = inWindow(sentAt, now, policy).sort((a, b) => a - b);
  const budget = Math.max(0, policy.limit - recent.length);
  // the next slot frees when the oldest send that keeps the budget spent leaves the window
  const untilFree = () => (recent[recent.length - policy.limit] ?? now) + policy.windowMs - now;
  if (queued.length === 0) return { messages: [], waitMs: 0 };
  if (budget === 0) return { messages: [], waitMs: Math.max(1, untilFree()) };
  if (queued.length <= budget) return { messages: queued.map((q) => [q]), waitMs: 0 };
  const singles = queued.slice(0, budget - 1).map((q) => [q]);
  return { messages: [...singles, queued.slice(budget - 1)], waitMs: 0 };
}

/** The send times of each destination, for {@link planSends}: one per process. */
export class SendLog {
  private readonly sent = new Map<string, number[]>();

  constructor(private readonly policy: LimitPolicy = ROBOT_LIMIT) {}

  /** Plan the sends of `queued` to `destination` at `now`, and record those planned as sent. */
  take<T>(destination: string, now: number, queued: readonly T[]): Plan<T> {
    const recent = inWindow(this.sent.get(destination) ?? [], now, this.policy);
    const plan = planSends(recent, now, queued, this.policy);
    this.sent.set(destination, [...recent, ...plan.messages.map(() => now)]);
    return plan;
  }
}
