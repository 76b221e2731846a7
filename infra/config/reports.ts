/**
 * Keys of the scheduled reports: where people open cxpulse (links in reports), the reports file and
 * scheduler, retries and slot claims, the SMTP server, and the webhooks' signature and allowed hosts.
 */
import path from 'node:path';
import { z } from 'zod';
import { bool, csv, int, type KeyTable, type Values } from './keys.ts';

export const reportKeys = {
  CXPULSE_PUBLIC_URL: {
    default: 'http://localhost:8080',
    doc: 'Address people open cxpulse at; links in reports and webhooks point there.',
    schema: z.url(),
  },
  REPORTS_FILE: {
    default: 'reports.yaml',
    doc: 'The scheduled reports (YAML; see "Scheduled reports"). A missing file means no reports.',
    schema: z.string().min(1),
  },
  REPORTS_SCHEDULER: {
    default: 'true',
    doc: 'Run the report scheduler inside `cxpulse start` and `serve` (`cxpulse scheduler` runs it alone). Any number of processes may run it: each slot runs once.',
    schema: bool,
  },
  REPORT_CATCHUP_HOURS: {
    default: '24',
    doc: 'A slot missed while no scheduler ran is run once at start, marked late, when it is at most this old.',
    schema: int(0, 24 * 62),
  },
  REPORT_RETRIES: {
    default: '4',
    doc: 'Retries of a failing report delivery (each channel on its own) before the run is recorded as failed.',
    schema: int(0, 100),
  },
  REPORT_RETRY_INITIAL_MS: {
    default: '30000',
    doc: 'First wait before retrying a report delivery; doubles each time.',
    schema: int(1, 3_600_000),
  },
  REPORT_RETRY_MAX_MS: {
    default: '600000',
    doc: 'Longest wait between report delivery retries.',
    schema: int(1, 86_400_000),
  },
  REPORT_CLAIM_SETTLE_MS: {
    default: '1500',
    doc: 'How long a scheduler waits after claiming a slot before reading back every claim (the earliest wins). Must exceed the time an insert takes to become visible to the other schedulers.',
    schema: int(0, 60_000),
  },
  SMTP_HOST: {
    default: undefined,
    doc: 'SMTP server for emailed reports. Unset: reports with email recipients fail their email delivery, named in the run history.',
    schema: z.string().min(1),
  },
  SMTP_PORT: { default: '587', doc: 'SMTP port.', schema: int(1, 65535) },
  SMTP_TLS: {
    default: 'starttls',
    doc: '`starttls` (upgrade required), `implicit` (TLS from the first byte, usually port 465) or `none` (plain; loopback relays only).',
    schema: z.enum(['starttls', 'implicit', 'none']),
  },
  SMTP_USER: { default: '', doc: 'SMTP user name (empty: no authentication).', schema: z.string() },
  SMTP_PASSWORD: { default: '', doc: 'SMTP password.', schema: z.string() },
  SMTP_FROM: {
    default: 'cxpulse <reports@localhost>',
    doc: 'Sender of emailed reports.',
    schema: z.string().min(3),
  },
  WEBHOOK_SECRET: {
    default: '',
    doc: 'Key of the HMAC-SHA256 signature on report webhooks (`X-Cxpulse-Signature`). Required when a report has a webhook.',
    schema: z.string(),
  },
  WEBHOOK_ALLOWED_HOSTS: {
    default: '',
    doc: 'Comma-separated host names (or `*.example.com`) report webhooks may be sent to; any other is refused.',
    schema: csv,
  },
  WEBHOOK_ALLOW_PRIVATE: {
    default: 'false',
    doc: 'Let report webhooks reach loopback, link-local and private addresses (refused by default, even for an allowed host name).',
    schema: bool,
  },
} satisfies KeyTable;

/** Where people open cxpulse (links in reports), without a trailing slash. */
export function publicUrl(v: Values<typeof reportKeys>): string {
  return v.CXPULSE_PUBLIC_URL.replace(/\/+$/, '');
}

export function reports(v: Values<typeof reportKeys>) {
  return {
    file: path.resolve(v.REPORTS_FILE),
    scheduler: v.REPORTS_SCHEDULER,
    catchupHours: v.REPORT_CATCHUP_HOURS,
    retry: {
      maxRetries: v.REPORT_RETRIES,
      initialMs: v.REPORT_RETRY_INITIAL_MS,
      maxMs: v.REPORT_RETRY_MAX_MS,
    },
    claimSettleMs: v.REPORT_CLAIM_SETTLE_MS,
    /** undefined = no SMTP server configured */
    smtp: v.SMTP_HOST
      ? {
          host: v.SMTP_HOST,
          port: v.SMTP_PORT,
          tls: v.SMTP_TLS,
          user: v.SMTP_USER,
          password: v.SMTP_PASSWORD,
          from: v.SMTP_FROM,
        }
      : undefined,
    webhook: {
      secret: v.WEBHOOK_SECRET,
      allowedHosts: v.WEBHOOK_ALLOWED_HOSTS,
      allowPrivate: v.WEBHOOK_ALLOW_PRIVATE,
    },
  };
}
