import { readFileSync } from 'node:fs';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { CxError } from './errors.ts';

/**
 * cxpulse configuration: environment variables, optionally preceded by a JSON file named by
 * `CXPULSE_CONFIG` holding the same keys (the environment wins). Parsed once at start-up; an invalid
 * value fails fast with an error that names the key. Every key is listed in {@link CONFIG_KEYS} with its
 * default and meaning; the README's configuration table is checked against that list by a test.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier (letters, digits, _)');
/** An IANA time zone name (shared with the report definitions). */
export const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as UTC or Asia/Shanghai');
/** A JSON value written as text (an environment variable or a config file entry). */
const json = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
    return z.NEVER;
  }
});
const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

interface KeySpec {
  /** Default as the string an operator would write; undefined = unset. */
  default: string | undefined;
  doc: string;
  schema: z.ZodType;
}

/** Every configuration key, its default and what it does. */
export const CONFIG_KEYS = {
  CXPULSE_DATA_DIR: {
    default: '.data',
    doc: 'Local state: the embedded ClickHouse (chDB) data and the local Kafka broker log.',
    schema: z.string().min(1),
  },
  CXPULSE_TIMEZONE: {
    default: 'UTC',
    doc: 'Time zone of reporting periods (days, weeks, months), e.g. `Asia/Shanghai`.',
    schema: timeZone,
  },
  LOG_LEVEL: {
    default: 'info',
    doc: 'Log level: `trace`, `debug`, `info`, `warn`, `error`, `fatal`.',
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
  },
  CLICKHOUSE_URL: {
    default: undefined,
    doc: 'ClickHouse server URL (`https://host:8443`). Unset: embedded chDB in `$CXPULSE_DATA_DIR/chdb`.',
    schema: z.url(),
  },
  CLICKHOUSE_USER: { default: 'default', doc: 'ClickHouse user (server mode).', schema: z.string() },
  CLICKHOUSE_PASSWORD: { default: '', doc: 'ClickHouse password (server mode).', schema: z.string() },
  CLICKHOUSE_DATABASE: {
    default: 'cxpulse',
    doc: 'Database holding every cxpulse table.',
    schema: identifier,
  },
  CLICKHOUSE_REQUEST_TIMEOUT_MS: {
    default: '60000',
    doc: 'Timeout of one ClickHouse request (server mode).',
    schema: int(1000, 3_600_000),
  },
  KAFKA_BROKERS: {
    default: undefined,
    doc: 'Comma-separated `host:port` list of an existing Kafka cluster. Unset: the local broker.',
    schema: csv.pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')).min(1)),
  },
  KAFKA_CLIENT_ID: { default: 'cxpulse', doc: 'Kafka client id.', schema: z.string().min(1) },
  KAFKA_SSL: { default: 'false', doc: 'Use TLS to the brokers.', schema: bool },
  KAFKA_SASL_MECHANISM: {
    default: 'none',
    doc: 'SASL mechanism: `none`, `plain`, `scram-sha-256`, `scram-sha-512`.',
    schema: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']),
  },
  KAFKA_SASL_USERNAME: { default: '', doc: 'SASL user name.', schema: z.string() },
  KAFKA_SASL_PASSWORD: { default: '', doc: 'SASL password.', schema: z.string() },
  KAFKA_TOPIC_PREFIX: {
    default: '',
    doc: 'Prefix of every topic name (`staging.` gives `staging.cx.interactions`).',
    schema: z.string().regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"'),
  },
  KAFKA_GROUP_ID: {
    default: 'cxpulse-ingest',
    doc: 'Consumer group of the ingesters; run more processes with the same id to scale out.',
    schema: z.string().min(1),
  },
  KAFKA_PARTITIONS: {
    default: '6',
    doc: 'Partitions of the event topics when cxpulse creates them (the upper bound on parallel consumers).',
    schema: int(1, 10_000),
  },
  KAFKA_RETENTION_HOURS: {
    default: '168',
    doc: 'Retention of the event topics when cxpulse creates them.',
    schema: int(1, 1_000_000),
  },
  KAFKA_DLQ_RETENTION_HOURS: {
    default: '720',
    doc: 'Retention of `cx.dlq` when cxpulse creates it.',
    schema: int(1, 1_000_000),
  },
  KAFKA_REPLICATION_FACTOR: {
    default: undefined,
    doc: 'Replicas of each partition of the topics cxpulse creates. Unset: 3, or the number of brokers when fewer. More than the cluster has brokers is refused.',
    schema: int(1, 32_767),
  },
  KAFKA_MIN_INSYNC_REPLICAS: {
    default: undefined,
    doc: '`min.insync.replicas` of the topics cxpulse creates: copies a write needs before it is acknowledged. Unset: 2 when the replication factor is 3 or more, else 1. More than the replication factor is refused.',
    schema: int(1, 32_767),
  },
  KAFKA_VERSION: {
    default: '4.4.0',
    doc: 'Apache Kafka version of the local broker (fetched from Maven Central).',
    schema: z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a version such as 4.4.0'),
  },
  KAFKA_LOCAL_PORT: { default: '9092', doc: 'Client port of the local broker.', schema: int(1, 65535) },
  KAFKA_LOCAL_CONTROLLER_PORT: {
    default: '9093',
    doc: 'KRaft controller port of the local broker.',
    schema: int(1, 65535),
  },
  KAFKA_LOCAL_HEAP_MB: { default: '768', doc: 'Java heap of the local broker.', schema: int(128, 65536) },
  HTTP_HOST: { default: '127.0.0.1', doc: 'Address the HTTP server listens on.', schema: z.string().min(1) },
  HTTP_PORT: { default: '8080', doc: 'Port of the HTTP server (0 = any free port).', schema: int(0, 65535) },
  HTTP_TRUST_PROXY: {
    default: 'false',
    doc: 'Proxies in front of the HTTP server whose `X-Forwarded-For`/`-Proto`/`-Host` are believed (Express `trust proxy`): `false`, `true` (any), a hop count such as `1`, or comma-separated addresses, CIDR ranges or `loopback`, `linklocal`, `uniquelocal`. Behind a TLS-terminating proxy this makes the session cookie `Secure`. Leave `false` when clients connect directly: they could forge those headers.',
    schema: z.string().transform((v, ctx): TrustProxy => {
      if (v === 'false' || v === 'true') return v === 'true';
      if (/^\d+$/.test(v)) return Number(v);
      const entries = v
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0);
      const bad = entries.find((x) => !isProxyAddress(x));
      if (bad !== undefined || entries.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be false, true, a hop count, or addresses / CIDR ranges / loopback, linklocal, uniquelocal${bad === undefined ? '' : ` (not one: ${bad})`}`,
        });
        return z.NEVER;
      }
      return entries;
    }),
  },
  HTTP_ALLOWED_ORIGINS: {
    default: '',
    doc: 'Comma-separated origins (`https://cx.example.com`) besides the request’s own and `CXPULSE_PUBLIC_URL`’s from which a signed-in browser may send state-changing requests; any other `Origin` is refused with 403.',
    schema: csv.pipe(
      z.array(
        z.string().refine((o) => {
          try {
            const u = new URL(o);
            const bare = u.pathname === '/' && !u.search && !u.hash && !u.username && !u.password;
            return bare && /^https?:$/.test(u.protocol) && !/[/?#]./.test(o.replace(/^[a-z]+:\/\//i, ''));
          } catch {
            return false;
          }
        }, 'each entry must be an origin such as https://cx.example.com (scheme, host, optional port; no path)'),
      ),
    ),
  },
  AUTH_FAILED_TOKEN_LIMIT: {
    default: '20',
    doc: 'Failed bearer tokens accepted per 15 minutes from one client address and token prefix; after that, tokens with that prefix from that address get 429 (other tokens from the same address are not affected).',
    schema: int(1, 1_000_000),
  },
  SESSION_REVOCATION_REFRESH_SECONDS: {
    default: '10',
    doc: 'How often each server re-reads the signed-out (revoked) sessions from ClickHouse; a sign-out in another process takes effect here within this time (at once in the process that signed out).',
    schema: int(1, 3600),
  },
  CXPULSE_INGEST_TOKENS: {
    default: '',
    doc: 'Comma-separated bearer tokens accepted by `POST /api/v1/events`. `cxpulse start` makes one in the data dir when unset.',
    schema: csv,
  },
  CXPULSE_API_TOKENS: {
    default: '',
    doc: 'Comma-separated `token=role` pairs for the API (roles: `viewer`, `analyst`, `editor`, `admin`; each includes the ones before it). `cxpulse start` makes an admin token in the data dir when unset.',
    schema: csv.pipe(
      z.array(
        z
          .string()
          .regex(
            /^[^=\s]{16,}=(viewer|analyst|editor|admin)$/,
            'each entry must be token=role, the token at least 16 characters, the role viewer, analyst, editor or admin',
          )
          .transform((e) => {
            const i = e.lastIndexOf('=');
            return { token: e.slice(0, i), role: e.slice(i + 1) as Role };
          }),
      ),
    ),
  },
  METRIC_TARGETS: {
    default: '{}',
    doc: 'Targets that replace the defaults of docs/metrics.md, as JSON `{"csat": 92, "answer_rate": 85}`.',
    schema: json.pipe(z.record(z.string(), z.number({ error: 'targets must be numbers' }))),
  },
  COLLECTOR_DEADLINE_MS: {
    default: '10000',
    doc: 'Longest wait of `POST /api/v1/events` for Kafka to acknowledge; then `503 kafka_unavailable` with `Retry-After`.',
    schema: int(100, 60_000),
  },
  INGEST_BATCH_SIZE: {
    default: '20000',
    doc: 'Most events written to ClickHouse in one insert.',
    schema: int(1, 1_000_000),
  },
  INGEST_FLUSH_MS: {
    default: '1000',
    doc: 'Longest wait for a batch to fill before it is written.',
    schema: int(1, 60_000),
  },
  INGEST_MAX_BYTES_PER_PARTITION: {
    default: '2097152',
    doc: 'Most bytes fetched from one partition per request.',
    schema: int(1024, 1_073_741_824),
  },
  INGEST_MAX_RETRIES: {
    default: '8',
    doc: 'Retries of a failing ClickHouse or Kafka write in one cycle; then the consumer is rebuilt and rejoins the group (the ingester never stops on its own).',
    schema: int(0, 1000),
  },
  INGEST_RETRY_INITIAL_MS: { default: '250', doc: 'First retry delay.', schema: int(1, 600_000) },
  INGEST_RETRY_MAX_MS: {
    default: '15000',
    doc: 'Cap of the exponentially growing retry delay.',
    schema: int(1, 3_600_000),
  },
  CXPULSE_SAMPLE_DATA: {
    default: 'true',
    doc: '`cxpulse start` streams the sample data through Kafka when the store is empty.',
    schema: bool,
  },
  CXPULSE_SAMPLE_DAYS: { default: '120', doc: 'Days of sample data.', schema: int(1, 3650) },
  CXPULSE_SAMPLE_CUSTOMERS: {
    default: '4000',
    doc: 'Customers in the sample data.',
    schema: int(10, 10_000_000),
  },
  CXPULSE_SAMPLE_SEED: {
    default: '42',
    doc: 'Seed of the sample-data generator.',
    schema: int(0, 2 ** 31 - 1),
  },
  SLA_FIRST_RESPONSE_SECONDS: {
    default: '{"chat":15,"phone":30,"email":14400,"*":86400}',
    doc: 'First-response target per channel in seconds, as JSON; `*` covers every other channel.',
    schema: json.pipe(
      z
        .partialRecord(
          z.enum(['phone', 'email', 'chat', 'social', 'store', 'advisor', 'self_service', '*'], {
            error: 'keys must be channels or *',
          }),
          z.number().positive('targets must be positive numbers of seconds'),
        )
        .refine((m) => m['*'] !== undefined, 'must have a "*" entry for the other channels'),
    ),
  },
  SLA_URGENT_SECONDS: {
    default: '3600',
    doc: 'First-response target of complaints and of high or urgent requests, when stricter than the channel’s.',
    schema: int(1, 31_536_000),
  },
  RESOLUTION_TARGET_HOURS: {
    default: '24',
    doc: 'Resolution target for `resolved_on_time`, in hours.',
    schema: z.coerce.number().positive(),
  },
  FCR_REPEAT_WINDOW_DAYS: {
    default: '7',
    doc: 'A contact of the same customer in the same category within this many days of a resolution means it was not resolved at first contact.',
    schema: int(0, 365),
  },
  SQL_MAX_ROWS: {
    default: '10000000',
    doc: 'Most rows an analyst query may return (`POST /api/v1/sql`, `cxpulse query`); a larger result fails, it is never cut short.',
    schema: int(1, 1_000_000_000),
  },
  SQL_MAX_JSON_ROWS: {
    default: '100000',
    doc: 'Most rows of a JSON answer to an analyst query (CSV and Arrow stream up to SQL_MAX_ROWS).',
    schema: int(1, 10_000_000),
  },
  SQL_MAX_BYTES: {
    default: '8589934592',
    doc: 'Most bytes (uncompressed, in the engine) an analyst query may return.',
    schema: int(1, Number.MAX_SAFE_INTEGER),
  },
  SQL_TIMEOUT_SECONDS: {
    default: '60',
    doc: 'Longest an analyst query may run.',
    schema: int(1, 3600),
  },
  SQL_MAX_MEMORY_MB: {
    default: '1024',
    doc: 'Most memory one analyst query may use, in MiB (the engine’s `max_memory_usage`).',
    schema: int(16, 1_048_576),
  },
  SQL_MAX_THREADS: {
    default: '1',
    doc: 'Most threads one analyst query may use (`max_threads`), so that it cannot take every core from ingestion and the API.',
    schema: int(1, 256),
  },
  SQL_MAX_ROWS_READ: {
    default: '1000000000',
    doc: 'Most rows one analyst query may read from tables and generators (`max_rows_to_read`); more fails the query.',
    schema: int(1, Number.MAX_SAFE_INTEGER),
  },
  SQL_CONCURRENCY: {
    default: '2',
    doc: 'Analyst queries that run at once (each in its own sandbox session); one caller gets at most all but one of them.',
    schema: int(1, 64),
  },
  SQL_QUEUE_WAIT_SECONDS: {
    default: '10',
    doc: 'Longest an analyst query waits for a free slot before it is answered 503 `sql_busy` with `Retry-After`.',
    schema: int(1, 600),
  },
  ROLLUP_REFRESH_SCHEDULE: {
    default: '*/15 * * * * *',
    doc: 'When the KPI facts and daily rollups are brought up to date (node-cron expression, seconds first), or `off` (then run `cxpulse refresh` yourself). Run it in one process: `cxpulse start` or `serve`.',
    schema: z
      .string()
      .refine((v) => v === 'off' || validCron(v), 'must be a cron expression such as */15 * * * * * or off')
      .transform((v) => (v === 'off' ? null : v)),
  },
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
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Express `trust proxy`: believe none/all proxies, a hop count, or these addresses and ranges. */
export type TrustProxy = boolean | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function isProxyAddress(v: string): boolean {
  if (PROXY_NAMES.has(v)) return true;
  if (v.includes('/')) {
    try {
      ipaddr.parseCIDR(v);
      return true;
    } catch {
      return false;
    }
  }
  return ipaddr.isValid(v);
}

/** API roles; each includes the rights of the ones before it. */
export const ROLES = ['viewer', 'analyst', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
type Parsed<K extends ConfigKey> = z.output<(typeof CONFIG_KEYS)[K]['schema']>;
type Raw = {
  [K in ConfigKey]: (typeof CONFIG_KEYS)[K]['default'] extends string ? Parsed<K> : Parsed<K> | undefined;
};

export interface Config {
  dataDir: string;
  timeZone: string;
  logLevel: string;
  clickhouse: {
    /** undefined = embedded chDB */
    url: string | undefined;
    user: string;
    password: string;
    database: string;
    requestTimeoutMs: number;
    chdbPath: string;
  };
  kafka: {
    /** undefined = local broker */
    brokers: string[] | undefined;
    clientId: string;
    ssl: boolean;
    sasl:
      | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
      | undefined;
    topicPrefix: string;
    groupId: string;
    partitions: number;
    retentionHours: number;
    dlqRetentionHours: number;
    /** undefined = chosen from the cluster size (infra/kafka/replication.ts) */
    replicationFactor: number | undefined;
    minInsyncReplicas: number | undefined;
    local: { version: string; port: number; controllerPort: number; heapMb: number; dir: string };
  };
  http: {
    host: string;
    port: number;
    ingestTokens: string[];
    apiTokens: { token: string; role: Role }[];
    trustProxy: TrustProxy;
    /** Origins (besides the request's own and the public URL's) allowed for cookie-authenticated writes. */
    allowedOrigins: string[];
    /** Failed bearer tokens per 15 minutes per client address and token prefix. */
    failedTokenLimit: number;
    sessionRevocationRefreshMs: number;
  };
  /** Per-metric target overrides (validated against the catalog by metrics/). */
  targets: Record<string, number>;
  ingest: {
    /** COLLECTOR_DEADLINE_MS */
    collectorDeadlineMs: number;
    batchSize: number;
    flushMs: number;
    maxBytesPerPartition: number;
    maxRetries: number;
    retryInitialMs: number;
    retryMaxMs: number;
  };
  sample: { enabled: boolean; days: number; customers: number; seed: number };
  /** Service-level policy behind the KPIs (defaults from the service standards in docs/metrics.md). */
  policy: {
    /** First-response target per channel, seconds; `*` for the others. */
    firstResponseSeconds: Record<string, number>;
    /** Target of complaints and high/urgent requests when stricter than the channel's. */
    urgentSeconds: number;
    resolutionTargetHours: number;
    fcrRepeatWindowDays: number;
  };
  /** node-cron schedule of the rollup refresh; null = off. */
  rollups: { schedule: string | null };
  /** Limits of the analysts' SQL. */
  sql: {
    maxRows: number;
    maxJsonRows: number;
    maxBytes: number;
    timeoutSeconds: number;
    maxMemoryMb: number;
    maxThreads: number;
    maxRowsRead: number;
    concurrency: number;
    queueWaitSeconds: number;
  };
  /** Where people open cxpulse (links in reports). */
  publicUrl: string;
  reports: {
    file: string;
    scheduler: boolean;
    catchupHours: number;
    retry: { maxRetries: number; initialMs: number; maxMs: number };
    claimSettleMs: number;
    /** undefined = no SMTP server configured */
    smtp:
      | {
          host: string;
          port: number;
          tls: 'starttls' | 'implicit' | 'none';
          user: string;
          password: string;
          from: string;
        }
      | undefined;
    webhook: { secret: string; allowedHosts: string[]; allowPrivate: boolean };
  };
}

/** Parse configuration from an environment (default `process.env`). Throws `config_invalid` naming the key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const source: Record<string, string | undefined> = {};
  const file = env['CXPULSE_CONFIG'];
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new CxError('config_invalid', `CXPULSE_CONFIG: cannot read ${file} as JSON: ${String(err)}`, {
        cause: err,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CxError('config_invalid', `CXPULSE_CONFIG: ${file} must hold a JSON object of KEY: value`);
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (!(k in CONFIG_KEYS))
        throw new CxError('config_invalid', `${k} (in ${file}): unknown configuration key`);
      source[k] = v === null ? undefined : String(v);
    }
  }
  for (const k of Object.keys(CONFIG_KEYS)) {
    const v = env[k];
    if (v !== undefined && v !== '') source[k] = v;
  }

  const raw: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, KeySpec][]) {
    const value = source[k] ?? spec.default;
    if (value === undefined) continue;
    const res = spec.schema.safeParse(value);
    if (!res.success) {
      const why = res.error.issues.map((i) => i.message).join('; ');
      throw new CxError('config_invalid', `${k}=${JSON.stringify(value)} is invalid: ${why}`);
    }
    raw[k] = res.data;
  }
  return toConfig(raw as Raw);
}

function toConfig(r: Raw): Config {
  const dataDir = path.resolve(r.CXPULSE_DATA_DIR);
  const mech = r.KAFKA_SASL_MECHANISM;
  if (mech !== 'none' && !r.KAFKA_SASL_USERNAME) {
    throw new CxError('config_invalid', `KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM=${mech}`);
  }
  const [rf, minIsr] = [r.KAFKA_REPLICATION_FACTOR, r.KAFKA_MIN_INSYNC_REPLICAS];
  if (rf !== undefined && minIsr !== undefined && minIsr > rf) {
    throw new CxError(
      'config_invalid',
      `KAFKA_MIN_INSYNC_REPLICAS=${minIsr} exceeds KAFKA_REPLICATION_FACTOR=${rf}`,
    );
  }
  return {
    dataDir,
    timeZone: r.CXPULSE_TIMEZONE,
    logLevel: r.LOG_LEVEL,
    clickhouse: {
      url: r.CLICKHOUSE_URL,
      user: r.CLICKHOUSE_USER,
      password: r.CLICKHOUSE_PASSWORD,
      database: r.CLICKHOUSE_DATABASE,
      requestTimeoutMs: r.CLICKHOUSE_REQUEST_TIMEOUT_MS,
      chdbPath: path.join(dataDir, 'chdb'),
    },
    kafka: {
      brokers: r.KAFKA_BROKERS,
      clientId: r.KAFKA_CLIENT_ID,
      ssl: r.KAFKA_SSL,
      sasl:
        mech === 'none'
          ? undefined
          : { mechanism: mech, username: r.KAFKA_SASL_USERNAME, password: r.KAFKA_SASL_PASSWORD },
      topicPrefix: r.KAFKA_TOPIC_PREFIX,
      groupId: r.KAFKA_GROUP_ID,
      partitions: r.KAFKA_PARTITIONS,
      retentionHours: r.KAFKA_RETENTION_HOURS,
      dlqRetentionHours: r.KAFKA_DLQ_RETENTION_HOURS,
      replicationFactor: r.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: r.KAFKA_MIN_INSYNC_REPLICAS,
      local: {
        version: r.KAFKA_VERSION,
        port: r.KAFKA_LOCAL_PORT,
        controllerPort: r.KAFKA_LOCAL_CONTROLLER_PORT,
        heapMb: r.KAFKA_LOCAL_HEAP_MB,
        dir: path.join(dataDir, 'kafka'),
      },
    },
    http: {
      host: r.HTTP_HOST,
      port: r.HTTP_PORT,
      ingestTokens: r.CXPULSE_INGEST_TOKENS,
      apiTokens: r.CXPULSE_API_TOKENS,
      trustProxy: r.HTTP_TRUST_PROXY,
      allowedOrigins: [
        ...new Set([
          new URL(r.CXPULSE_PUBLIC_URL).origin,
          ...r.HTTP_ALLOWED_ORIGINS.map((o) => new URL(o).origin),
        ]),
      ],
      failedTokenLimit: r.AUTH_FAILED_TOKEN_LIMIT,
      sessionRevocationRefreshMs: r.SESSION_REVOCATION_REFRESH_SECONDS * 1000,
    },
    targets: r.METRIC_TARGETS,
    ingest: {
      collectorDeadlineMs: r.COLLECTOR_DEADLINE_MS,
      batchSize: r.INGEST_BATCH_SIZE,
      flushMs: r.INGEST_FLUSH_MS,
      maxBytesPerPartition: r.INGEST_MAX_BYTES_PER_PARTITION,
      maxRetries: r.INGEST_MAX_RETRIES,
      retryInitialMs: r.INGEST_RETRY_INITIAL_MS,
      retryMaxMs: r.INGEST_RETRY_MAX_MS,
    },
    sample: {
      enabled: r.CXPULSE_SAMPLE_DATA,
      days: r.CXPULSE_SAMPLE_DAYS,
      customers: r.CXPULSE_SAMPLE_CUSTOMERS,
      seed: r.CXPULSE_SAMPLE_SEED,
    },
    policy: {
      firstResponseSeconds: r.SLA_FIRST_RESPONSE_SECONDS as Record<string, number>,
      urgentSeconds: r.SLA_URGENT_SECONDS,
      resolutionTargetHours: r.RESOLUTION_TARGET_HOURS,
      fcrRepeatWindowDays: r.FCR_REPEAT_WINDOW_DAYS,
    },
    rollups: { schedule: r.ROLLUP_REFRESH_SCHEDULE as string | null },
    sql: {
      maxRows: r.SQL_MAX_ROWS,
      maxJsonRows: r.SQL_MAX_JSON_ROWS,
      maxBytes: r.SQL_MAX_BYTES,
      timeoutSeconds: r.SQL_TIMEOUT_SECONDS,
      maxMemoryMb: r.SQL_MAX_MEMORY_MB,
      maxThreads: r.SQL_MAX_THREADS,
      maxRowsRead: r.SQL_MAX_ROWS_READ,
      concurrency: r.SQL_CONCURRENCY,
      queueWaitSeconds: r.SQL_QUEUE_WAIT_SECONDS,
    },
    publicUrl: r.CXPULSE_PUBLIC_URL.replace(/\/+$/, ''),
    reports: {
      file: path.resolve(r.REPORTS_FILE),
      scheduler: r.REPORTS_SCHEDULER,
      catchupHours: r.REPORT_CATCHUP_HOURS,
      retry: {
        maxRetries: r.REPORT_RETRIES,
        initialMs: r.REPORT_RETRY_INITIAL_MS,
        maxMs: r.REPORT_RETRY_MAX_MS,
      },
      claimSettleMs: r.REPORT_CLAIM_SETTLE_MS,
      smtp: r.SMTP_HOST
        ? {
            host: r.SMTP_HOST,
            port: r.SMTP_PORT,
            tls: r.SMTP_TLS,
            user: r.SMTP_USER,
            password: r.SMTP_PASSWORD,
            from: r.SMTP_FROM,
          }
        : undefined,
      webhook: {
        secret: r.WEBHOOK_SECRET,
        allowedHosts: r.WEBHOOK_ALLOWED_HOSTS,
        allowPrivate: r.WEBHOOK_ALLOW_PRIVATE,
      },
    },
  };
}
