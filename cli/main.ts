import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { loadConfig, type Config } from '../infra/config.ts';
import { CxError, errorMessage } from '../infra/errors.ts';
import { createKafka, ensureTopics } from '../infra/kafka/client.ts';
import {
  fetchKafkaJars,
  localBrokerStatus,
  startLocalBroker,
  stopLocalBroker,
} from '../infra/kafka/broker.ts';
import { logger } from '../infra/logger.ts';
import { generateSample } from '../sample/index.ts';
import { describeRejections, replay } from '../ingest/replay.ts';
import { createClickHouse } from '../infra/clickhouse.ts';
import { migrate } from '../transforms/migrate.ts';
import { fetchMetric, formatRows } from './metric.ts';
import { runQuery } from './query.ts';
import { describeRun, runReport } from './report.ts';
import { refreshRollups } from '../transforms/refresh.ts';
import { Runtime } from './runtime.ts';

const log = logger('cli');

/** Run until SIGTERM/SIGINT, then shut down in order (the ingester never gives up on its own). */
async function runUntilSignal(rt: Runtime): Promise<never> {
  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log.info({ event_name: 'shutdown', why }, `shutting down (${why})`);
    await rt.close();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  process.on('SIGINT', () => void stop('SIGINT', 0));
  return new Promise<never>(() => undefined);
}

function config(): Config {
  return loadConfig();
}

const program = new Command('cxpulse')
  .description(
    'Customer-experience analytics: events through Kafka into ClickHouse, KPIs, dashboards, reports.',
  )
  .showHelpAfterError();

program
  .command('start')
  .description(
    'Run everything locally: Kafka broker, embedded ClickHouse, migrations, ingester, HTTP server; sample data on an empty store.',
  )
  .option('--no-sample', 'do not stream the sample data into an empty store')
  .action(async (opts: { sample: boolean }) => {
    const cfg = config();
    const rt = new Runtime(cfg);
    try {
      await rt.clickhouseUp();
      await rt.kafkaUp();
      await rt.startIngester();
      const tokens = rt.ingestTokens(true);
      await rt.startServer({ collector: true, tokens, api: { tokens: rt.apiTokens(true) } });
      await rt.startRollupRefresh();
      if (cfg.reports.scheduler) await rt.startReportScheduler();
      if (cfg.http.ingestTokens.length === 0) {
        log.info(
          { event_name: 'ingest_token', file: `${cfg.dataDir}/ingest-token` },
          'ingest token for POST /api/v1/events is in the data dir',
        );
      }
      if (opts.sample && cfg.sample.enabled)
        void rt
          .seedSampleIfEmpty()
          .catch((err: unknown) =>
            log.error({ event_name: 'sample_failed', err: errorMessage(err) }, 'sample data failed'),
          );
    } catch (err) {
      await rt.close();
      throw err;
    }
    await runUntilSignal(rt);
  });

program
  .command('serve')
  .description('Production: the HTTP server (collector, API, health) against existing Kafka and ClickHouse.')
  .action(async () => {
    const rt = new Runtime(config());
    const tokens = rt.ingestTokens(false);
    if (tokens.length === 0)
      throw new CxError(
        'config_invalid',
        'CXPULSE_INGEST_TOKENS must name at least one token for `cxpulse serve`',
      );
    const apiTokens = rt.apiTokens(false);
    if (apiTokens.length === 0)
      throw new CxError(
        'config_invalid',
        'CXPULSE_API_TOKENS must name at least one token=role for `cxpulse serve`',
      );
    try {
      await rt.clickhouseUp();
      await rt.kafkaUp();
      await rt.startServer({ collector: true, tokens, api: { tokens: apiTokens } });
      await rt.startRollupRefresh();
      if (rt.cfg.reports.scheduler) await rt.startReportScheduler();
    } catch (err) {
      await rt.close();
      throw err;
    }
    await runUntilSignal(rt);
  });

program
  .command('scheduler')
  .description(
    'Run the report schedules alone (REPORTS_FILE). Any number of schedulers may share a store: each slot runs once.',
  )
  .action(async () => {
    const rt = new Runtime(config());
    try {
      if (!(await rt.startReportScheduler()))
        throw new CxError('report_invalid', `no reports defined in ${rt.cfg.reports.file}`);
    } catch (err) {
      await rt.close();
      throw err;
    }
    await runUntilSignal(rt);
  });

program
  .command('report')
  .description(
    'Run one report now and deliver it: through the running server, or the local store when none answers.',
  )
  .argument('<name>', 'a report of REPORTS_FILE')
  .option(
    '--period <period>',
    "yesterday, last_week, last_month, month_to_date or FROM..TO (default: the report's)",
  )
  .option('--url <url>', 'server base URL (default from HTTP_HOST / HTTP_PORT)')
  .option('--token <token>', 'API token with the editor role (default: the local data dir token)')
  .action(async (name: string, opts: { period?: string; url?: string; token?: string }) => {
    const cfg = config();
    const rt = new Runtime(cfg);
    const record = await runReport(rt, {
      name,
      ...(opts.period ? { period: opts.period } : {}),
      url: opts.url ?? `http://${cfg.http.host}:${cfg.http.port}`,
      token:
        opts.token ??
        rt.apiTokens(false).find((t) => t.role === 'editor' || t.role === 'admin')?.token ??
        readTokenFile(cfg),
    });
    process.stdout.write(describeRun(record));
    if (record.status !== 'succeeded') process.exitCode = 1;
  });

program
  .command('ingest')
  .description(
    'Production: one ingester of the consumer group (run several to scale out); /healthz and /metrics on HTTP_PORT.',
  )
  .action(async () => {
    const rt = new Runtime(config());
    try {
      await rt.startIngester();
      await rt.startServer({ collector: false, tokens: [] });
    } catch (err) {
      // leave the consumer group and close the store before exiting
      await rt.close();
      throw err;
    }
    await runUntilSignal(rt);
  });

program
  .command('refresh')
  .description('Bring the KPI facts and daily rollups up to date now (what ROLLUP_REFRESH_SCHEDULE runs).')
  .option('--full', 'recompute everything, not only what changed since the last refresh')
  .action(async (opts: { full?: boolean }) => {
    const rt = new Runtime(config());
    try {
      const r = await refreshRollups(await rt.clickhouseUp(), rt.cfg, { full: opts.full === true });
      process.stdout.write(
        `refreshed in ${r.seconds.toFixed(1)} s${r.fullRebuild ? ' (full rebuild)' : ''}: ` +
          `${r.interactionsRewritten} interactions, ${r.surveysRewritten} survey answers, ` +
          `${r.customersRewritten} customers rewritten; ${r.daysRebuilt} days of rollups rebuilt; ` +
          `complete through ${r.completeThrough.toISOString()}\n`,
      );
    } finally {
      await rt.close();
    }
  });

program
  .command('migrate')
  .description('Apply the ClickHouse migrations that have not been applied yet.')
  .action(async () => {
    const cfg = config();
    const ch = createClickHouse(cfg.clickhouse);
    try {
      const res = await migrate(ch, cfg.clickhouse.database);
      process.stdout.write(
        `applied ${res.applied.length} migration(s)${res.applied.length ? ': ' + res.applied.join(', ') : ''}; ${res.alreadyApplied} already applied\n`,
      );
    } finally {
      await ch.close();
    }
  });

program
  .command('replay')
  .description('Send events from NDJSON or CSV files through the collector (default) or straight to Kafka.')
  .argument('<files...>', 'NDJSON (.ndjson, .jsonl) or CSV (.csv, with a header row of field names)')
  .addOption(new Option('--via <target>', 'where to send').choices(['http', 'kafka']).default('http'))
  .option('--url <url>', 'collector base URL (--via http)', '')
  .option(
    '--token <token>',
    'ingest token (--via http); default: CXPULSE_INGEST_TOKENS or the local data dir token',
  )
  .addOption(
    new Option('--format <format>', 'file format (default: by extension)').choices(['ndjson', 'csv']),
  )
  .option('--no-progress', 'no progress bar')
  .action(
    async (
      files: string[],
      opts: {
        via: 'http' | 'kafka';
        url: string;
        token?: string;
        format?: 'ndjson' | 'csv';
        progress: boolean;
      },
    ) => {
      const cfg = config();
      const rt = new Runtime(cfg);
      try {
        const target =
          opts.via === 'kafka'
            ? { kind: 'kafka' as const, producer: await rt.getProducer(), topics: rt.topics! }
            : {
                kind: 'http' as const,
                url: opts.url || `http://${cfg.http.host}:${cfg.http.port}`,
                token: opts.token ?? (rt.ingestTokens(true)[0] as string),
              };
        const res = await replay({
          files,
          target,
          progress: opts.progress && process.stderr.isTTY,
          ...(opts.format ? { format: opts.format } : {}),
        });
        process.stdout.write(`read ${res.read}, sent ${res.sent}, rejected ${res.rejected.length}\n`);
        for (const line of describeRejections(res)) process.stdout.write(`  ${line}\n`);
        process.exitCode = res.rejected.length > 0 ? 1 : 0;
      } finally {
        await rt.close();
      }
    },
  );

program
  .command('generate')
  .description('Write the seeded sample data as NDJSON (stdout or --out).')
  .option('--seed <n>', 'seed', (v) => Number(v))
  .option('--days <n>', 'days', (v) => Number(v))
  .option('--customers <n>', 'customers', (v) => Number(v))
  .option('--out <file>', 'output file (default stdout)')
  .action(async (opts: { seed?: number; days?: number; customers?: number; out?: string }) => {
    const cfg = config();
    const out = opts.out ? createWriteStream(opts.out) : process.stdout;
    const gen = generateSample({
      seed: opts.seed ?? cfg.sample.seed,
      days: opts.days ?? cfg.sample.days,
      customers: opts.customers ?? cfg.sample.customers,
      sla: cfg.policy,
    });
    for (const e of gen) {
      if (!out.write(JSON.stringify(e) + '\n')) await once(out, 'drain');
    }
    if (opts.out)
      await new Promise<void>((r) => (out as ReturnType<typeof createWriteStream>).end(() => r()));
  });

program
  .command('metric')
  .description('One KPI over a period: from the running server, or from the local store when none answers.')
  .argument('<name>', 'metric name (GET /api/v1/metrics lists them), e.g. csat, fcr, sla_compliance')
  .option('--from <date>', 'first day, YYYY-MM-DD (default: 27 days before --to)')
  .option('--to <date>', 'last day, YYYY-MM-DD (default: today)')
  .addOption(
    new Option('--grain <grain>', 'period').choices(['day', 'week', 'month', 'total']).default('total'),
  )
  .option(
    '--by <dims>',
    'group by dimensions, comma-separated (channel, category, priority, severity, team_id, agent_id, segment, region)',
    '',
  )
  .option(
    '--filter <dim=values>',
    'filter, e.g. channel=phone,chat (repeatable)',
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .addOption(new Option('--format <format>', 'output').choices(['table', 'csv', 'json']).default('table'))
  .option('--url <url>', 'server base URL (default from HTTP_HOST / HTTP_PORT)')
  .option('--token <token>', 'API token (default: CXPULSE_API_TOKENS or the local data dir token)')
  .action(
    async (
      name: string,
      opts: {
        from?: string;
        to?: string;
        grain: string;
        by: string;
        filter: string[];
        format: 'table' | 'csv' | 'json';
        url?: string;
        token?: string;
      },
    ) => {
      const cfg = config();
      const filters: Record<string, string[]> = {};
      for (const f of opts.filter) {
        const i = f.indexOf('=');
        if (i <= 0) throw new CxError('bad_parameter', `--filter ${f}: write dimension=value[,value…]`);
        filters[f.slice(0, i)] = f
          .slice(i + 1)
          .split(',')
          .filter((x) => x.length > 0);
      }
      const rt = new Runtime(cfg);
      const { rows } = await fetchMetric(cfg, {
        name,
        ...(opts.from ? { from: opts.from } : {}),
        ...(opts.to ? { to: opts.to } : {}),
        grain: opts.grain,
        by: opts.by.split(',').filter((x) => x.length > 0),
        filters,
        url: opts.url ?? `http://${cfg.http.host}:${cfg.http.port}`,
        token: opts.token ?? rt.apiTokens(false)[0]?.token ?? readTokenFile(cfg),
      });
      process.stdout.write(formatRows(rows, opts.format));
    },
  );

program
  .command('query')
  .description(
    'Analyst SQL (read-only, over the documented views): through the running server, or the local store when none answers.',
  )
  .argument('<sql>', 'one SELECT, e.g. "SELECT channel, count() FROM v_interactions GROUP BY channel"')
  .addOption(
    new Option('--format <format>', 'output').choices(['table', 'json', 'csv', 'arrow']).default('table'),
  )
  .option('--output <file>', 'write to a file instead of standard output (csv, arrow)')
  .option('--url <url>', 'server base URL (default from HTTP_HOST / HTTP_PORT)')
  .option('--token <token>', 'API token with the analyst role (default: the local data dir token)')
  .action(
    async (
      sql: string,
      opts: { format: 'table' | 'json' | 'csv' | 'arrow'; output?: string; url?: string; token?: string },
    ) => {
      const cfg = config();
      const rt = new Runtime(cfg);
      const out = opts.output ? createWriteStream(opts.output) : process.stdout;
      const text = await runQuery(cfg, {
        sql,
        format: opts.format,
        url: opts.url ?? `http://${cfg.http.host}:${cfg.http.port}`,
        token:
          opts.token ?? rt.apiTokens(false).find((t) => t.role !== 'viewer')?.token ?? readTokenFile(cfg),
        out,
      });
      if (text) out.write(text);
      if (opts.output) await new Promise<void>((r) => out.end(r));
    },
  );

const kafka = program.command('kafka').description('The local single-node Kafka broker (KRaft).');
kafka
  .command('start')
  .description('Fetch Kafka from Maven Central if needed and start the broker in the background.')
  .action(async () => {
    const cfg = config();
    const res = await startLocalBroker({ ...cfg.kafka.local, detached: true });
    await ensureTopics(createKafka(cfg.kafka), cfg.kafka);
    process.stdout.write(
      `${res.alreadyRunning ? 'already running' : 'started'}: ${res.brokers.join(',')} (pid ${res.pid})\n`,
    );
  });
kafka
  .command('fetch')
  .description('Fetch the Kafka broker jars from Maven Central into .cache/ (done by `start` when missing).')
  .action(async () => {
    const libs = await fetchKafkaJars(config().kafka.local.version);
    process.stdout.write(`Kafka jars in ${libs}\n`);
  });
kafka
  .command('stop')
  .description('Stop the local broker.')
  .action(async () => {
    const was = await stopLocalBroker(config().kafka.local);
    process.stdout.write(was ? 'stopped\n' : 'not running\n');
  });
kafka
  .command('status')
  .description('Is the local broker running?')
  .action(async () => {
    const s = await localBrokerStatus(config().kafka.local);
    process.stdout.write(s.running ? `running: ${s.brokers.join(',')} (pid ${s.pid})\n` : 'not running\n');
    process.exitCode = s.running ? 0 : 1;
  });

/** The admin token `cxpulse start` keeps in the data dir, when there is one. */
function readTokenFile(cfg: Config): string | undefined {
  const file = path.join(cfg.dataDir, 'api-token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

program.parseAsync(process.argv).catch((err: unknown) => {
  const code = err instanceof CxError ? err.code : 'internal';
  log.fatal({ event_name: 'command_failed', code, err: errorMessage(err) }, errorMessage(err));
  process.stderr.write(`cxpulse: ${errorMessage(err)}\n`);
  process.exit(1);
});
