import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The pipeline's own health as Prometheus metrics, served at `GET /metrics`. One registry per process;
 * components receive it rather than reaching for a global.
 */
export interface PipelineMetrics {
  registry: Registry;
  eventsIngested: Counter<'topic'>;
  eventsRejected: Counter<'topic'>;
  batches: Counter<'topic'>;
  insertSeconds: Histogram<'table'>;
  sinkRetries: Counter<'operation'>;
  consumerLag: Gauge<'topic' | 'partition'>;
  ingesterUp: Gauge;
  ingesterDegraded: Gauge;
  ingesterRestarts: Counter;
  httpEventsAccepted: Counter;
  httpEventsRejected: Counter<'reason'>;
  rollupCompleteThrough: Gauge;
  rollupRefreshSeconds: Histogram;
  rollupRefreshFailures: Counter;
  alertsEvaluatorUp: Gauge;
  alertsEvaluations: Counter;
  alertsErrors: Counter;
}

export function createPipelineMetrics(): PipelineMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cxpulse_process_' });
  const reg = [registry];
  return { registry, ...ingesterMetrics(reg), ...serviceMetrics(reg) };
}

type IngesterMetrics = Pick<
  PipelineMetrics,
  | 'eventsIngested'
  | 'eventsRejected'
  | 'batches'
  | 'insertSeconds'
  | 'sinkRetries'
  | 'consumerLag'
  | 'ingesterUp'
  | 'ingesterDegraded'
  | 'ingesterRestarts'
>;

/** The ingester's: events, batches, inserts, retries, lag, up/degraded, restarts. */
function ingesterMetrics(reg: Registry[]): IngesterMetrics {
  return {
    eventsIngested: new Counter({
      name: 'cxpulse_events_ingested_total',
      help: 'Events written to ClickHouse by the ingester (a redelivered event counts again here, never in a KPI).',
      labelNames: ['topic'],
      registers: reg,
    }),
    eventsRejected: new Counter({
      name: 'cxpulse_dlq_events_total',
      help: 'Messages sent to the dead-letter queue because they broke the event contract.',
      labelNames: ['topic'],
      registers: reg,
    }),
    batches: new Counter({
      name: 'cxpulse_ingest_batches_total',
      help: 'Batches written and committed by the ingester.',
      labelNames: ['topic'],
      registers: reg,
    }),
    insertSeconds: new Histogram({
      name: 'cxpulse_clickhouse_insert_seconds',
      help: 'Duration of one ClickHouse insert by the ingester.',
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: reg,
    }),
    sinkRetries: new Counter({
      name: 'cxpulse_ingest_retries_total',
      help: 'Retries of failed writes (ClickHouse or Kafka unavailable).',
      labelNames: ['operation'],
      registers: reg,
    }),
    consumerLag: new Gauge({
      name: 'cxpulse_consumer_lag_messages',
      help: 'Messages between the ingester and the end of each partition, as of its last batch.',
      labelNames: ['topic', 'partition'],
      registers: reg,
    }),
    ingesterUp: new Gauge({
      name: 'cxpulse_ingester_up',
      help: '1 while the ingester consumes, 0 while it is degraded or stopped.',
      registers: reg,
    }),
    ingesterDegraded: new Gauge({
      name: 'cxpulse_ingester_degraded',
      help: '1 while the ingester retries a write or rebuilds its Kafka consumer (the reason is in /healthz).',
      registers: reg,
    }),
    ingesterRestarts: new Counter({
      name: 'cxpulse_ingester_restarts_total',
      help: 'Kafka consumers the ingester rebuilt after a crash (a stall, a lost membership, retries run out).',
      registers: reg,
    }),
  };
}

/** The collector's accepted and refused events, the rollup refreshes and the alert evaluator. */
function serviceMetrics(reg: Registry[]): Omit<PipelineMetrics, keyof IngesterMetrics | 'registry'> {
  return {
    httpEventsAccepted: new Counter({
      name: 'cxpulse_http_events_accepted_total',
      help: 'Events accepted by POST /api/v1/events and produced to Kafka.',
      registers: reg,
    }),
    httpEventsRejected: new Counter({
      name: 'cxpulse_http_events_rejected_total',
      help: 'Events refused by POST /api/v1/events.',
      labelNames: ['reason'],
      registers: reg,
    }),
    rollupCompleteThrough: new Gauge({
      name: 'cxpulse_rollup_complete_through_seconds',
      help: 'Unix time up to which every ingested event is counted in the KPI rollups.',
      registers: reg,
    }),
    rollupRefreshSeconds: new Histogram({
      name: 'cxpulse_rollup_refresh_seconds',
      help: 'Duration of rollup refreshes.',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: reg,
    }),
    rollupRefreshFailures: new Counter({
      name: 'cxpulse_rollup_refresh_failures_total',
      help: 'Rollup refreshes that failed (the next one starts again from the last complete state).',
      registers: reg,
    }),
    alertsEvaluatorUp: new Gauge({
      name: 'cxpulse_alerts_evaluator_up',
      help: '1 while this process evaluates the alert rules (ALERTS_FILE), else 0.',
      registers: reg,
    }),
    alertsEvaluations: new Counter({
      name: 'cxpulse_alerts_evaluations_total',
      help: 'Evaluations of the alert rules (after each rollup refresh, and of the live rules on their interval).',
      registers: reg,
    }),
    alertsErrors: new Counter({
      name: 'cxpulse_alerts_errors_total',
      help: 'Alert rules that could not be evaluated (each logged with its rule and reason).',
      registers: reg,
    }),
  };
}
