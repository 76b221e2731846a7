import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { apiRouter } from '../dashboards/routes/index.ts';
import { createApp, type HealthReport } from '../dashboards/app.ts';
import { createAuth } from '../dashboards/auth.ts';
import { pagesRouter } from '../dashboards/pages.ts';
import { StoredRevocations } from '../dashboards/sessions.ts';
import { createClickHouse, createSandbox, type ClickHouseClient } from '../infra/clickhouse.ts';
import { SqlService } from '../dashboards/sql.ts';
import { sqlRouter } from '../dashboards/routes/sql.ts';
import type { Config, Role } from '../infra/config.ts';
import { errorMessage } from '../infra/errors.ts';
import { createKafka, ensureTopics, topicOffsets } from '../infra/kafka/client.ts';
import { startLocalBroker, stopLocalBroker } from '../infra/kafka/broker.ts';
import type { Topics } from '../infra/kafka/topics.ts';
import { logger } from '../infra/logger.ts';
import { createPipelineMetrics, type PipelineMetrics } from '../infra/metrics.ts';
import { collectorRouter } from '../ingest/collector.ts';
import { Ingester } from '../ingest/consumer.ts';
import { createEventParser, type EventParser } from '../ingest/events.ts';
import { EventProducer } from '../ingest/producer.ts';
import { defaultStart, streamSample } from '../sample/index.ts';
import { recordSampleChange } from './sample-change.ts';
import { listen } from './listen.ts';
import { ClickHouseSink } from '../ingest/sink.ts';
import { migrate } from '../transforms/migrate.ts';
import { recordDefinitions } from '../metrics/answer/definitions.ts';
import { refreshRollups } from '../transforms/refresh.ts';
import cron from 'node-cron';
import { reportsRouter } from '../dashboards/routes/reports.ts';
import { loadDefinitions, type ReportDefinition } from '../dashboards/reports/definitions.ts';
import { ReportRunner } from '../dashboards/reports/runner.ts';
import { ReportScheduler } from '../dashboards/reports/scheduler.ts';
import { KpiMetrics, overviewSamples } from '../dashboards/kpi-metrics.ts';
import { AlertEvaluator } from '../alerts/evaluate/evaluator.ts';
import { storeProbe, type PipelineProbe } from '../alerts/evaluate/probe.ts';
import { channelConfig } from '../alerts/channels/send.ts';
import { loadRules } from '../alerts/rules/definitions.ts';
import { currentRules } from '../alerts/rules/store.ts';
import { AlertStore } from '../alerts/state/store.ts';
import { CxError } from '../infra/errors.ts';

/**
 * The composition root: wires infra, ingest, transforms and dashboards into the processes that
 * `cxpulse` runs. The only module allowed to import from every folder.
 */

type Closer = () => Promise<void>;

export class Runtime {
  private readonly closers: Closer[] = [];
  readonly log = logger('runtime');
  readonly metrics: PipelineMetrics = createPipelineMetrics();
  kafka?: Kafka;
  topics?: Topics;
  clickhouse?: ClickHouseClient;
  ingester?: Ingester;
  server?: Server;
  /** The overview KPIs on `/metrics` (METRICS_KPIS=on, in the process that serves the API). */
  kpiMetrics?: KpiMetrics;
  private producer?: EventProducer;
  /** Event validation with the configured segments (CUSTOMER_SEGMENTS), built once. */
  readonly events: EventParser;

  constructor(readonly cfg: Config) {
    this.events = createEventParser({ segments: cfg.vocabulary.segments.map((s) => s.key) });
  }

  /** The local broker when no KAFKA_BROKERS is configured; it lives as long as this process. */
  async kafkaUp(): Promise<Kafka> {
    if (this.kafka) return this.kafka;
    const { kafka: k } = this.cfg;
    if (!k.brokers) {
      const started = await startLocalBroker({ ...k.local });
      if (!started.alreadyRunning)
        this.closers.push(async () => void (await stopLocalBroker({ ...k.local })));
      this.log.info(
        { event_name: 'local_kafka', brokers: started.brokers, reused: started.alreadyRunning },
        'local Kafka broker ready',
      );
    }
    this.kafka = createKafka(k);
    this.topics = await ensureTopics(this.kafka, k);
    return this.kafka;
  }

  async clickhouseUp(): Promise<ClickHouseClient> {
    if (this.clickhouse) return this.clickhouse;
    const ch = createClickHouse(this.cfg.clickhouse);
    this.closers.push(() => ch.close());
    await migrate(ch, this.cfg.clickhouse.database);
    this.clickhouse = ch;
    return ch;
  }

  private sql?: SqlService;
  /** The analysts' SQL: a sandbox session of its own (never the ingesting connection) and the audit. */
  async sqlService(): Promise<SqlService> {
    if (this.sql) return this.sql;
    const ch = await this.clickhouseUp();
    const sandbox = createSandbox(this.cfg.clickhouse, this.cfg.sql);
    this.closers.push(() => sandbox.close());
    this.sql = new SqlService(sandbox, ch, this.cfg.clickhouse.database, this.cfg.sql);
    return this.sql;
  }

  private revocations?: StoredRevocations;
  /** The signed-out sessions, read now (before any cookie is checked) and then kept fresh. */
  async revocationsUp(): Promise<StoredRevocations> {
    if (this.revocations) return this.revocations;
    const r = new StoredRevocations(
      await this.clickhouseUp(),
      this.cfg.clickhouse.database,
      this.cfg.http.sessionRevocationRefreshMs,
    );
    await r.load();
    r.start();
    this.closers.push(() => Promise.resolve(r.stop()));
    this.revocations = r;
    return r;
  }

  private reports?: { runner: ReportRunner; definitions: ReportDefinition[] };
  /** The report definitions (REPORTS_FILE, validated now) and the runner that runs them. */
  async reportsUp(): Promise<{ runner: ReportRunner; definitions: ReportDefinition[] }> {
    if (this.reports) return this.reports;
    const definitions = loadDefinitions(this.cfg.reports.file, {
      timeZone: this.cfg.timeZone,
      locale: this.cfg.vocabulary.locale,
    });
    const runner = new ReportRunner(await this.clickhouseUp(), this.cfg);
    // stop waiting to retry, then let the runs in hand (scheduled or manual) record their outcome
    this.closers.push(async () => {
      runner.stop();
      await runner.idle();
    });
    this.reports = { runner, definitions };
    return this.reports;
  }

  /** The report schedules (node-cron); any number of processes may run them, each slot runs once. */
  async startReportScheduler(): Promise<ReportScheduler | null> {
    const { runner, definitions } = await this.reportsUp();
    if (definitions.length === 0) {
      this.log.info({ event_name: 'no_reports', file: this.cfg.reports.file }, 'no reports defined');
      return null;
    }
    const scheduler = new ReportScheduler(runner, this.cfg, definitions);
    this.closers.push(() => scheduler.stop());
    await scheduler.start();
    return scheduler;
  }

  async getProducer(): Promise<EventProducer> {
    if (this.producer) return this.producer;
    const p = new EventProducer(await this.kafkaUp());
    await p.connect();
    this.closers.push(() => p.disconnect());
    this.producer = p;
    return p;
  }

  async startIngester(): Promise<Ingester> {
    const kafka = await this.kafkaUp();
    const ch = await this.clickhouseUp();
    const ingester = new Ingester({
      kafka,
      sink: new ClickHouseSink(ch, this.cfg.clickhouse.database, this.metrics),
      producer: await this.getProducer(),
      topics: this.topics as Topics,
      groupId: this.cfg.kafka.groupId,
      ingest: this.cfg.ingest,
      metrics: this.metrics,
      events: this.events,
    });
    // Stop the consumer before the producer and the ClickHouse client it writes through.
    this.closers.push(() => ingester.stop());
    await ingester.start();
    this.ingester = ingester;
    return ingester;
  }

  /** HTTP: health, metrics, the collector when `collector` is on, the API when `api` is on. */
  async startServer(opts: {
    collector: boolean;
    tokens: string[];
    api?: { tokens: { token: string; role: Role }[]; alertsText?: string };
  }): Promise<Server> {
    const routers = [];
    if (opts.api) {
      // a KPI whose definition changed since the last start gets a definition version dated now
      const redefined = await recordDefinitions(await this.clickhouseUp(), this.cfg);
      if (redefined.length > 0)
        this.log.info(
          { event_name: 'kpi_definitions_changed', metrics: redefined },
          'KPI definitions changed',
        );
      const auth = createAuth(opts.api.tokens, {
        revocations: await this.revocationsUp(),
        allowedOrigins: this.cfg.http.allowedOrigins,
        failedTokenLimit: this.cfg.http.failedTokenLimit,
      });
      await this.kpiMetricsUp();
      const alertsText = opts.api.alertsText ?? this.alertsText();
      routers.push(
        apiRouter({
          clickhouse: await this.clickhouseUp(),
          cfg: this.cfg,
          requireRole: auth.require,
          ...(alertsText === undefined ? {} : { alertsText }),
        }),
        pagesRouter({ auth, timeZone: this.cfg.timeZone, locale: this.cfg.vocabulary.locale }),
        sqlRouter({
          sql: await this.sqlService(),
          clickhouse: await this.clickhouseUp(),
          database: this.cfg.clickhouse.database,
          requireRole: auth.require,
          maxJsonRows: this.cfg.sql.maxJsonRows,
          maxXlsxRows: this.cfg.sql.maxXlsxRows,
        }),
        reportsRouter({
          ...(await this.reportsUp()),
          timeZone: this.cfg.timeZone,
          requireRole: auth.require,
        }),
      );
    }
    if (opts.collector) {
      routers.push(
        collectorRouter({
          producer: await this.getProducer(),
          topics: this.topics as Topics,
          tokens: opts.tokens,
          metrics: this.metrics,
          deadlineMs: this.cfg.ingest.collectorDeadlineMs,
          events: this.events,
        }),
      );
    }
    const app = createApp({
      routers,
      registry: this.metrics.registry,
      health: () => this.health(),
      trustProxy: this.cfg.http.trustProxy,
    });
    // A port that cannot be bound stops the command (port_in_use, port_denied), never "listening".
    const server = await listen(app, this.cfg.http.port, this.cfg.http.host);
    this.closers.push(() => new Promise<void>((r) => server.close(() => r())));
    this.server = server;
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.cfg.http.port;
    this.log.info(
      { event_name: 'http_listening', url: `http://${this.cfg.http.host}:${port}` },
      'HTTP server listening',
    );
    return server;
  }

  /**
   * Keep the KPI facts and daily rollups current on the configured schedule (node-cron, never two
   * refreshes at once), starting with one now. A failed refresh is logged and counted; the next one
   * starts again from the last complete state.
   */
  async startRollupRefresh(): Promise<void> {
    const schedule = this.cfg.rollups.schedule;
    if (schedule === null) return;
    const ch = await this.clickhouseUp();
    const log = logger('rollups');
    let running: Promise<void> = Promise.resolve();
    const once = () =>
      (running = (async () => {
        const end = this.metrics.rollupRefreshSeconds.startTimer();
        try {
          const r = await refreshRollups(ch, this.cfg);
          this.metrics.rollupCompleteThrough.set(r.completeThrough.getTime() / 1000);
          void this.kpiMetrics?.refresh();
          // every rule reads the data just refreshed (errors are the evaluator's, counted there)
          if (this.alerts) void this.alerts.evaluate('all').catch(() => undefined);
        } catch (err) {
          this.metrics.rollupRefreshFailures.inc();
          log.error({ event_name: 'rollup_refresh_failed', err: errorMessage(err) }, 'rollup refresh failed');
        } finally {
          end();
        }
      })());
    const task = cron.schedule(schedule, () => once(), { name: 'rollup-refresh', noOverlap: true });
    // Stop scheduling, then let the refresh in hand finish before the ClickHouse client closes.
    this.closers.push(async () => {
      await task.destroy();
      await running;
    });
    void once();
  }

  /** With METRICS_KPIS=on, the overview KPIs on /metrics (dashboards/kpi-metrics.ts), once. */
  private async kpiMetricsUp(): Promise<void> {
    if (!this.cfg.rollups.kpiMetrics || this.kpiMetrics) return;
    const kpis = new KpiMetrics({
      registry: this.metrics.registry,
      compute: overviewSamples(await this.clickhouseUp(), this.cfg),
    });
    // let a computation in hand finish before the ClickHouse client closes
    this.closers.push(() => kpis.idle());
    this.kpiMetrics = kpis;
  }

  /** The rules file's text (ALERTS_FILE), the first version of the rules the alerts API edits. */
  private alertsText(): string | undefined {
    const file = this.cfg.alerts.file;
    return file !== null && existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  alerts?: AlertEvaluator;
  /**
   * The alert evaluator when ALERTS_FILE is set: the rules validated now (a mistake stops the command
   * with `alert_invalid` naming its place; a file that does not exist with `config_invalid`), all rules
   * evaluated now and after each rollup refresh, the service and pipeline rules every
   * ALERTS_INTERVAL_SECONDS. Any number of processes may run it: each change is acted on once.
   */
  async startAlerts(): Promise<AlertEvaluator | null> {
    const file = this.cfg.alerts.file;
    if (file === null) return null;
    if (!existsSync(file))
      throw new CxError('config_invalid', `ALERTS_FILE=${JSON.stringify(file)}: no such file`);
    // the file is the first version: a mistake in it stops the command here; editors' later versions
    // (the alerts API) are read at each evaluation
    const rules = loadRules(file, {
      locale: this.cfg.vocabulary.locale,
      allowHttp: this.cfg.reports.webhook.allowPrivate,
    });
    const text = readFileSync(file, 'utf8');
    const ch = await this.clickhouseUp();
    const db = this.cfg.clickhouse.database;
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const evaluator = new AlertEvaluator({
      client: ch,
      cfg: this.cfg,
      rules: async () => (await currentRules(ch, this.cfg, text)).parsed,
      store: new AlertStore(ch, { database: db, owner, settleMs: this.cfg.reports.claimSettleMs }),
      probe: this.pipelineProbe(),
      channels: channelConfig(this.cfg),
      onEvaluation: (errors) => {
        this.metrics.alertsEvaluations.inc();
        if (errors > 0) this.metrics.alertsErrors.inc(errors);
      },
    });
    this.closers.push(async () => {
      this.metrics.alertsEvaluatorUp.set(0);
      await evaluator.stop();
    });
    evaluator.start();
    this.metrics.alertsEvaluatorUp.set(1);
    this.alerts = evaluator;
    this.log.info(
      { event_name: 'alerts_started', file, rules: rules.rules.length },
      'alert evaluator started',
    );
    return evaluator;
  }

  /** What pipeline rules read: this process's ingester and consumer lag, and the store. */
  pipelineProbe(): PipelineProbe {
    return storeProbe(this.clickhouse as ClickHouseClient, this.cfg.clickhouse.database, {
      ingester: () => {
        const h = this.ingester?.health();
        if (!h) return { state: 'absent' as const };
        const state = h.state === 'degraded' ? 'degraded' : h.state === 'stopped' ? 'stopped' : 'running';
        return { state, reason: h.reason };
      },
      consumerLag: () => (this.ingester ? this.brokerLag() : Promise.resolve(null)),
    });
  }

  /**
   * Messages the consumer group has yet to take from the event topics, read from the broker (each
   * partition's end against the group's committed offset, or its start when none is committed): true
   * also while the ingester is stopped or stuck, when the lag gauge it sets per batch is not updated —
   * so each reading sets that gauge too.
   */
  private async brokerLag(): Promise<number> {
    const admin = (await this.kafkaUp()).admin();
    await admin.connect();
    try {
      const { interactions, surveys, customers } = this.topics as Topics;
      const groupId = this.cfg.kafka.groupId;
      let lag = 0;
      for (const topic of [interactions, surveys, customers]) {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        for (const p of await topicOffsets(admin, topic)) {
          const c = Number(committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1);
          const behind = Math.max(0, Number(p.high) - (c >= 0 ? c : Number(p.low)));
          this.metrics.consumerLag.set({ topic, partition: String(p.partition) }, behind);
          lag += behind;
        }
      }
      return lag;
    } finally {
      await admin.disconnect();
    }
  }

  /** `degraded` (still 200) while the ingester waits for Kafka or ClickHouse; 503 once it has stopped. */
  health(): HealthReport {
    const ingester = this.ingester?.health();
    const ok = !ingester || ingester.state !== 'stopped';
    const status = !ok ? 'down' : ingester?.state === 'degraded' ? 'degraded' : 'ok';
    const alerts = this.alerts
      ? { running: this.alerts.running, evaluations: this.alerts.evaluations, errors: this.alerts.errors }
      : 'not running in this process';
    return { ok, status, ingester: ingester ?? 'not running in this process', alerts };
  }

  /**
   * Stream the sample data through Kafka when both the store and the topics are empty, and record its
   * planted process change (once: a restart with data does neither).
   */
  async seedSampleIfEmpty(): Promise<void> {
    const ch = await this.clickhouseUp();
    const kafka = await this.kafkaUp();
    const db = this.cfg.clickhouse.database;
    const rs = await ch.query({
      query: `SELECT count() AS n FROM ${db}.interaction_events`,
      format: 'JSONEachRow',
    });
    const stored = Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
    const admin = kafka.admin();
    await admin.connect();
    let inTopics = 0;
    try {
      for (const p of await topicOffsets(admin, (this.topics as Topics).interactions))
        inTopics += Number(p.high);
    } finally {
      await admin.disconnect();
    }
    if (stored > 0 || inTopics > 0) {
      this.log.info(
        { event_name: 'sample_skipped', stored, in_topics: inTopics },
        'store not empty: no sample data',
      );
      return;
    }
    // One start for the data and its planted change, so their dates agree even across midnight.
    const { seed, customers, days } = this.cfg.sample;
    const start = defaultStart(days);
    const change = await recordSampleChange(ch, this.cfg, { seed, customers, days, start });
    if (change)
      this.log.info(
        { event_name: 'sample_change', id: change.id, starts_at: change.starts_at },
        'sample process change recorded',
      );
    await streamSample(await this.getProducer(), this.topics as Topics, this.cfg.sample, {
      sla: this.cfg.policy,
      start,
    });
  }

  /** The ingest tokens: configured, or (local mode) one kept in the data dir so restarts keep it. */
  ingestTokens(generateIfMissing: boolean): string[] {
    if (this.cfg.http.ingestTokens.length > 0) return this.cfg.http.ingestTokens;
    return generateIfMissing ? [this.localToken('ingest-token')] : [];
  }

  /** The API tokens: configured, or (local mode) one admin token kept in the data dir. */
  apiTokens(generateIfMissing: boolean): { token: string; role: Role }[] {
    if (this.cfg.http.apiTokens.length > 0) return this.cfg.http.apiTokens;
    return generateIfMissing ? [{ token: this.localToken('api-token'), role: 'admin' }] : [];
  }

  /** A random token kept in the data dir (owner-only), made on first use, so restarts keep it. */
  private localToken(name: string): string {
    const file = path.join(this.cfg.dataDir, name);
    if (!existsSync(file)) {
      mkdirSync(this.cfg.dataDir, { recursive: true });
      writeFileSync(file, randomBytes(24).toString('base64url') + '\n', { mode: 0o600 });
    }
    return readFileSync(file, 'utf8').trim();
  }

  /** Close everything in reverse order of opening; never throws. */
  async close(): Promise<void> {
    while (this.closers.length > 0) {
      const c = this.closers.pop() as Closer;
      try {
        await c();
      } catch (err) {
        this.log.warn({ event_name: 'close_failed', err: errorMessage(err) }, 'error while shutting down');
      }
    }
  }
}
