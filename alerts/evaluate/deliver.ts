import { CxError, errorMessage } from '../../infra/errors.ts';
import { deliver, type ChannelConfig } from '../channels/send.ts';
import { planSends, ROBOT_LIMIT, type LimitPolicy } from '../channels/limiter.ts';
import type { Message, Notification } from '../channels/types.ts';
import type { Destination } from '../rules/destinations.ts';
import type { AlertEvent, AlertStore, OwedDelivery } from '../state/store.ts';
import { channelDestination, mentionsOf } from './notice.ts';

/**
 * Deliveries of the notices an evaluation won, kept in `alert_events` until they are delivered so that
 * a crash, a restart or a second evaluator loses none and sends none twice. A notice won is recorded
 * `queued` for each destination (the notification kept with it) before anything is sent. Each flush
 * reads what is owed by any process and sends, each destination on its own, what the robot's rate
 * allows (channels/limiter.ts: beyond the budget one summary of the rest; the budget counts the
 * messages every process sent to that destination in the last window, as the history records them);
 * what the budget holds back is recorded `held` once and waits for the next flush. Each notice is
 * claimed (`delivery|rule|group|seq|dest|notice`) before it is sent, so only one process sends it; the
 * delivery is recorded `sent` with the provider's answer, or `failed` / `refused` with the reason, and
 * the attempts made (channels/send.ts retries retriable errors only). A claim left without an outcome
 * for `STALE_CLAIM_MS` (its sender stopped mid-send) makes the notice owed again, so a crash during a
 * send loses nothing (the receiver may then get that one message twice); after {@link MAX_SENDS_BEGUN}
 * such sends, or when an editor has removed its destination from the rules, the notice is ended as
 * `failed` (`delivery_interrupted`, `destination_removed`).
 */

/** A notice to send: the notification and where its state is (for the history). */
export interface Owed {
  rule: string;
  group: string;
  seq: number;
  notification: Notification;
}

/** Sends of one notice begun and never finished (their sender stopped mid-send) before it is given up. */
export const MAX_SENDS_BEGUN = 3;

export type OutboxStore = Pick<AlertStore, 'record' | 'owed' | 'sentTimes' | 'claimDelivery'>;

type Pending = OwedDelivery & Owed;

const revive = (o: OwedDelivery): Pending => {
  const n = JSON.parse(o.payload) as Notification & { at: string };
  return { ...o, notification: { ...n, at: new Date(n.at) } };
};

const row = (o: Owed, dest: string, at: Date) => ({
  rule: o.rule,
  group: o.group,
  seq: o.seq,
  at,
  what: 'delivery' as const,
  notice: o.notification.transition,
  value: o.notification.measured.value,
  n: o.notification.measured.n,
  channel: dest,
});

export class Outbox {
  /** the last send time per destination here: each message its own millisecond (the budget counts them) */
  private readonly last = new Map<string, number>();

  constructor(
    private readonly channels: ChannelConfig,
    private readonly store: OutboxStore,
    private readonly signal?: AbortSignal,
    private readonly policy: LimitPolicy = ROBOT_LIMIT,
  ) {}

  /** Record notices as owed to a destination (`queued`), before any is sent. */
  async add(dest: Destination, owed: Owed[], now: Date): Promise<void> {
    await this.store.record(
      owed.map((o) => ({
        ...row(o, dest.name, now),
        result: 'queued',
        detail: JSON.stringify(o.notification),
      })),
    );
  }

  /** Send what every destination may take now of what is owed; what the limit holds back waits. */
  async flush(destinations: readonly Destination[], now = new Date()): Promise<void> {
    const all = (await this.store.owed(now)).map(revive);
    const named = new Set(destinations.map((d) => d.name));
    const ended = (o: Pending) => !named.has(o.dest) || o.claims >= MAX_SENDS_BEGUN;
    await this.end(all.filter(ended), now);
    const owed = all.filter((o) => !ended(o));
    await Promise.all(
      destinations.map((d) =>
        this.destination(
          d,
          owed.filter((o) => o.dest === d.name),
          now,
        ),
      ),
    );
  }

  /**
   * Notices that will not be sent, ended as `failed` with the reason: owed to a destination the rules no
   * longer have, or whose sends were begun {@link MAX_SENDS_BEGUN} times and never finished.
   */
  private async end(owed: Pending[], now: Date): Promise<void> {
    for (const o of owed)
      if (await this.store.claimDelivery(o))
        await this.store.record([
          {
            ...row(o, o.dest, now),
            result: 'failed',
            detail:
              o.claims >= MAX_SENDS_BEGUN
                ? `delivery_interrupted: ${o.claims} sends of this notice began and never finished (the sender stopped mid-send)`
                : `destination_removed: "${o.dest}" is no longer a destination of the alert rules`,
            attempt: o.claims,
          },
        ]);
  }

  private async destination(d: Destination, queued: Pending[], now: Date): Promise<void> {
    if (queued.length === 0) return;
    const t = now.getTime();
    const recent = await this.store.sentTimes(d.name, t - this.policy.windowMs);
    const plan = planSends(recent, t, queued, this.policy);
    const planned = plan.messages.flat().length;
    const held = queued.slice(planned).filter((o) => !o.held);
    await this.store.record(held.map((o) => ({ ...row(o, d.name, now), result: 'held' })));
    const won = new Set<Pending>();
    await Promise.all(
      queued.slice(0, planned).map(async (o) => {
        if (await this.store.claimDelivery(o)) won.add(o);
      }),
    );
    for (const message of plan.messages) {
      const mine = message.filter((o) => won.has(o));
      if (mine.length > 0) await this.send(d, mine);
    }
  }

  private async send(d: Destination, owed: Pending[]): Promise<void> {
    const { dest, secret } = channelDestination(d);
    const mentions = 'mentions' in d ? mentionsOf(d.mentions) : undefined;
    const msg = owed.map((o) => ({
      ...o.notification,
      ...(mentions ? { mentions } : {}),
    })) as unknown as Message;
    const cfg = secret ? { ...this.channels, webhook: { ...this.channels.webhook, secret } } : this.channels;
    const at = new Date(Math.max(Date.now(), (this.last.get(d.name) ?? 0) + 1));
    this.last.set(d.name, at.getTime());
    let outcome: Pick<AlertEvent, 'result' | 'detail' | 'attempt'>;
    try {
      const r = await deliver(dest, msg, cfg, this.signal ? { signal: this.signal } : {});
      outcome = { result: 'sent', detail: r.response.slice(0, 500), attempt: r.attempts };
    } catch (err) {
      const refused = err instanceof CxError && err.code === 'delivery_refused';
      const attempts = err instanceof CxError ? (err.details as { attempts?: number }).attempts : undefined;
      outcome = {
        result: refused ? 'refused' : 'failed',
        detail: `${err instanceof CxError ? `${err.code}: ` : ''}${errorMessage(err)}`.slice(0, 500),
        attempt: attempts ?? 1,
      };
    }
    await this.store.record(owed.map((o) => ({ ...row(o, d.name, at), ...outcome })));
  }
}
