import { describe, expect, it } from 'vitest';
import { planSends, SendLog, type LimitPolicy } from '../../../alerts/channels/limiter.ts';

/** A robot's budget: each notification alone while it lasts, the rest in one summary, then a wait. */

const policy: LimitPolicy = { limit: 20, windowMs: 60_000 };
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `n${from + i}`);

describe('planSends', () => {
  it('sends each notification alone while the budget lasts', () => {
    expect(planSends([], 0, ids(3), policy)).toEqual({ messages: [['n0'], ['n1'], ['n2']], waitMs: 0 });
  });

  it('batches what exceeds the budget into its last message', () => {
    // 17 sent in the last minute: 3 left, 10 queued → 2 alone and 1 summary of 8
    const sent = Array.from({ length: 17 }, (_, i) => 1_000 + i);
    const plan = planSends(sent, 30_000, ids(10), policy);
    expect(plan.messages).toEqual([['n0'], ['n1'], ids(8, 2)]);
    expect(plan.messages.length + sent.length).toBe(20);
  });

  it('waits, when the budget is spent, until the oldest send of the window leaves it', () => {
    const sent = Array.from({ length: 20 }, (_, i) => 10_000 + i * 1_000); // 10 s … 29 s
    const plan = planSends(sent, 40_000, ids(5), policy);
    expect(plan).toEqual({ messages: [], waitMs: 10_000 + 60_000 - 40_000 });
    // then one slot is free: the five go out as one summary
    expect(planSends(sent, 70_000, ids(5), policy).messages).toEqual([ids(5)]);
  });

  it('forgets sends older than the window', () => {
    const sent = Array.from({ length: 20 }, () => 0);
    expect(planSends(sent, 60_000, ids(2), policy).messages).toEqual([['n0'], ['n1']]);
  });
});

describe('SendLog', () => {
  it('keeps each destination apart and never lets more than 20 out in a minute', () => {
    const log = new SendLog(policy);
    let sent = 0;
    let notified = 0;
    // 60 notifications to one robot within a minute, in bursts of 3 every 3 s
    for (let t = 0; t < 60_000; t += 3_000) {
      const plan = log.take('robot-a', t, ids(3, t));
      sent += plan.messages.length;
      notified += plan.messages.flat().length;
    }
    expect(sent).toBeLessThanOrEqual(20);
    expect(log.take('robot-b', 59_000, ids(1)).messages).toEqual([['n0']]);
    expect(notified).toBeGreaterThan(0);
  });
});
