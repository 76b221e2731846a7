import { CxError, errorMessage } from '../../infra/errors.ts';
import { deliver, type ChannelConfig } from '../channels/send.ts';
import { SendLog } from '../channels/limiter.ts';
import type { Message, Notification } from '../channels/types.ts';
import type { Destination } from '../rules/destinations.ts';
import type { AlertEvent } from '../state/store.ts';
import { channelDestination, mentionsOf } from './notice.ts';

/**
 * Deliveries of the notices an evaluation won: each destination on its own, within the robots' rate
 * (channels/limiter.ts: beyond the budget one summary of the rest; when it is spent, the notices wait in
 * this process for the next evaluation), each with retries for retriable errors only
 * (channels/send.ts). Every notification of every message is recorded in `alert_events` as a
 * `delivery`: `sent` with the provider's answer, or `failed` / `refused` with the reason, and the
 * attempts made.
 */

/** A notice to send: the notification and where its state is (for the history). */
export interface Owed {
  rule: string;
  group: string;
  seq: number;
  notification: Notification;
}

export class Outbox {
  private readonly log = new SendLog();
  private readonly waiting = new Map<string, Owed[]>();

  constructor(
    private readonly channels: ChannelConfig,
    private readonly record: (events: AlertEvent[]) => Promise<void>,
    private readonly signal?: AbortSignal,
  ) {}

  /** Queue notices for a destination. */
  add(dest: Destination, owed: Owed[]): void {
    if (owed.length === 0) return;
    this.waiting.set(dest.name, [...(this.waiting.get(dest.name) ?? []), ...owed]);
  }

  /** Send what every destination may take now; what the limit holds back stays for the next call. */
  async flush(destinations: readonly Destination[], now = new Date()): Promise<void> {
    await Promise.all(
      destinations.map(async (d) => {
        const queued = this.waiting.get(d.name) ?? [];
        if (queued.length === 0) return;
        const plan = this.log.take(d.name, now.getTime(), queued);
        const sent = plan.messages.flat().length;
        this.waiting.set(d.name, queued.slice(sent));
        for (const group of plan.messages) await this.send(d, group);
      }),
    );
  }

  private async send(d: Destination, owed: Owed[]): Promise<void> {
    const { dest, secret } = channelDestination(d);
    const mentions = 'mentions' in d ? mentionsOf(d.mentions) : undefined;
    const msg = owed.map((o) => ({
      ...o.notification,
      ...(mentions ? { mentions } : {}),
    })) as unknown as Message;
    const cfg = secret ? { ...this.channels, webhook: { ...this.channels.webhook, secret } } : this.channels;
    const at = new Date();
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
    await this.record(
      owed.map((o) => ({
        rule: o.rule,
        group: o.group,
        seq: o.seq,
        at,
        what: 'delivery' as const,
        notice: o.notification.transition,
        value: o.notification.measured.value,
        n: o.notification.measured.n,
        channel: d.name,
        ...outcome,
      })),
    );
  }
}
