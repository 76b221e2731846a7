import { Command } from 'commander';
import { type Config } from '../../infra/config.ts';
import { CxError, errorMessage } from '../../infra/errors.ts';
import { logger } from '../../infra/logger.ts';
import { SAMPLE_DISPLAY_NAMES } from '../../sample/index.ts';
import { Runtime } from '../runtime.ts';

const log = logger('cli');

/** Long-running commands: `start` (everything locally), `serve`, `scheduler`, `ingest`; each runs until SIGTERM/SIGINT. */
export function registerServeCommands(program: Command, config: () => Config): void {
  startCommand(program, config);
  serveCommand(program, config);
  schedulerCommand(program, config);
  ingestCommand(program, config);
}

function startCommand(program: Command, config: () => Config): void {
  program
    .command('start')
    .description(
      'Run everything locally: Kafka broker, embedded ClickHouse, migrations, ingester, HTTP server; sample data on an empty store.',
    )
    .option('--no-sample', 'do not stream the sample data into an empty store')
    .action(async (opts: { sample: boolean }) => {
      const cfg = withSampleNames(config(), opts.sample);
      const rt = new Runtime(cfg);
      try {
        await rt.clickhouseUp();
        // the rules are validated before anything listens; evaluated from now on
        await rt.startAlerts();
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
}

/** With sample data and no DISPLAY_NAMES of its own, the sample centre's region and team names. */
function withSampleNames(cfg: Config, sample: boolean): Config {
  const named = Object.values(cfg.vocabulary.displayNames).some((m) => Object.keys(m).length > 0);
  if (!sample || !cfg.sample.enabled || named) return cfg;
  return { ...cfg, vocabulary: { ...cfg.vocabulary, displayNames: SAMPLE_DISPLAY_NAMES } };
}

function serveCommand(program: Command, config: () => Config): void {
  program
    .command('serve')
    .description(
      'Production: the HTTP server (collector, API, health) against existing Kafka and ClickHouse.',
    )
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
        // the rules are validated before anything listens; evaluated from now on
        await rt.startAlerts();
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
}

function schedulerCommand(program: Command, config: () => Config): void {
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
}

function ingestCommand(program: Command, config: () => Config): void {
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
}

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
