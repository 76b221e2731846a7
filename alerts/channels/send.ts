import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../infra/config.ts';
import { CxError, errorMessage } from '../../infra/errors.ts';
import { backoffDelay, type RetryPolicy } from '../../infra/retry.ts';
import { sendDingtalk } from './dingtalk.ts';
import { sendEmail } from './email.ts';
import { sendFeishu } from './feishu.ts';
import type { Outbound } from './http.ts';
import type { Destination, Message, SendResult } from './types.ts';
import { sendWebhook } from './webhook.ts';
import { sendWecom } from './wecom.ts';

/**
 * Send one message to one destination, retrying as report deliveries do: only errors that say they
 * are retriable (`delivery_failed`: a 5xx, a network failure, a robot's rate-limit code), with capped
 * exponential backoff and jitter (`REPORT_RETRY_*`); a refusal (`delivery_refused`: a host not allowed,
 * a 4xx, a code that will not heal) fails at once. The outcome names the attempts, for the history.
 */

/** What the senders need from the configuration: the reports' SMTP server and webhook keys. */
export interface ChannelConfig {
  smtp: Config['reports']['smtp'];
  webhook: Outbound & { secret: string };
  retry: RetryPolicy;
}

/** The configuration the senders use, from cxpulse's. */
export const channelConfig = (cfg: Config): ChannelConfig => ({
  smtp: cfg.reports.smtp,
  webhook: cfg.reports.webhook,
  retry: cfg.reports.retry,
});

/** One attempt at one destination. */
export function sendOnce(
  dest: Destination,
  msg: Message,
  cfg: ChannelConfig,
  now = new Date(),
): Promise<SendResult> {
  switch (dest.kind) {
    case 'email':
      return sendEmail(cfg.smtp, dest, msg);
    case 'webhook':
      return sendWebhook(dest, msg, cfg.webhook, now);
    case 'wecom':
      return sendWecom(dest, msg, cfg.webhook);
    case 'dingtalk':
      return sendDingtalk(dest, msg, cfg.webhook, now);
    case 'feishu':
      return sendFeishu(dest, msg, cfg.webhook, now);
  }
}

export interface Delivered extends SendResult {
  attempts: number;
}

/**
 * Send with retries. Resolves with the provider's answer and the attempts it took; rejects with the
 * last error (its `details.attempts` says how many were made). `signal` stops the waits (shutdown).
 */
export async function deliver(
  dest: Destination,
  msg: Message,
  cfg: ChannelConfig,
  opts: { signal?: AbortSignal; onRetry?: (attempt: number, delayMs: number, err: unknown) => void } = {},
): Promise<Delivered> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ...(await sendOnce(dest, msg, cfg)), attempts: attempt };
    } catch (err) {
      const retriable = err instanceof CxError && err.retriable;
      if (!retriable || attempt > cfg.retry.maxRetries || opts.signal?.aborted)
        throw withAttempts(err, attempt);
      const delay = Math.round(backoffDelay(cfg.retry, attempt) * (0.8 + Math.random() * 0.4));
      opts.onRetry?.(attempt, delay, err);
      try {
        await sleep(delay, undefined, { signal: opts.signal });
      } catch {
        throw withAttempts(err, attempt);
      }
    }
  }
}

function withAttempts(err: unknown, attempts: number): CxError {
  if (err instanceof CxError)
    return new CxError(err.code, err.message, {
      retriable: err.retriable,
      cause: err.cause,
      details: { ...(typeof err.details === 'object' ? err.details : {}), attempts },
    });
  return new CxError('delivery_failed', errorMessage(err), {
    retriable: true,
    cause: err,
    details: { attempts },
  });
}
