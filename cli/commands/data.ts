import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { type Config } from '../../infra/config.ts';
import { generateSample } from '../../sample/index.ts';
import { describeRejections, replay } from '../../ingest/replay.ts';
import { createClickHouse } from '../../infra/clickhouse.ts';
import { migrate } from '../../transforms/migrate.ts';
import { refreshRollups } from '../../transforms/refresh.ts';
import { Runtime } from '../runtime.ts';

/** Commands that move data: `refresh` (KPI facts and rollups), `migrate`, `replay` (files in), `generate` (sample data out). */
export function registerDataCommands(program: Command, config: () => Config): void {
  refreshCommand(program, config);
  migrateCommand(program, config);
  replayCommand(program, config);
  generateCommand(program, config);
}

function refreshCommand(program: Command, config: () => Config): void {
  program
    .command('refresh')
    .description('Bring the KPI facts and daily rollups up to date now (what ROLLUP_REFRESH_SCHEDULE runs).')
    .option('--full', 'recompute everything, not only what changed since the last refresh')
    .action(async (opts: { full?: boolean }) => {
      const rt = new Runtime(config());
      try {
        const r = await refreshRollups(await rt.clickhouseUp(), rt.cfg, { full: opts.full === true });
        process.stdout.write(
          `refreshed in ${r.seconds.toFixed(1)} s${r.fullRebuild ? ' (full rebuild)' : r.allDaysRebuilt ? ' (every day of rollups rebuilt)' : ''}: ` +
            `${r.interactionsRewritten} interactions, ${r.surveysRewritten} survey answers, ` +
            `${r.customersRewritten} customers rewritten; ${r.daysRebuilt} days of rollups rebuilt; ` +
            `complete through ${r.completeThrough.toISOString()}\n`,
        );
      } finally {
        await rt.close();
      }
    });
}

function migrateCommand(program: Command, config: () => Config): void {
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
}

function replayCommand(program: Command, config: () => Config): void {
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
            events: rt.events,
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
}

function generateCommand(program: Command, config: () => Config): void {
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
}
