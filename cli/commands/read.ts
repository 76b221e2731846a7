import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { type Config } from '../../infra/config.ts';
import { CxError } from '../../infra/errors.ts';
import { fetchMetric, formatRows } from '../metric.ts';
import { runQuery } from '../query.ts';
import { describeRun, runReport } from '../report.ts';
import { Runtime } from '../runtime.ts';

/** Commands that read: `report`, `metric` and `query`, through the running server when one answers, else the local store. */
export function registerReadCommands(program: Command, config: () => Config): void {
  reportCommand(program, config);
  metricCommand(program, config);
  queryCommand(program, config);
}

function reportCommand(program: Command, config: () => Config): void {
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
}

function metricCommand(program: Command, config: () => Config): void {
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
}

function queryCommand(program: Command, config: () => Config): void {
  program
    .command('query')
    .description(
      'Analyst SQL (read-only, over the documented views): through the running server, or the local store when none answers.',
    )
    .argument('<sql>', 'one SELECT, e.g. "SELECT channel, count() FROM v_interactions GROUP BY channel"')
    .addOption(
      new Option('--format <format>', 'output')
        .choices(['table', 'json', 'csv', 'arrow', 'xlsx'])
        .default('table'),
    )
    .option('--output <file>', 'write to a file instead of standard output (csv, arrow, xlsx)')
    .option('--url <url>', 'server base URL (default from HTTP_HOST / HTTP_PORT)')
    .option('--token <token>', 'API token with the analyst role (default: the local data dir token)')
    .action(
      async (
        sql: string,
        opts: {
          format: 'table' | 'json' | 'csv' | 'arrow' | 'xlsx';
          output?: string;
          url?: string;
          token?: string;
        },
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
}

/** The admin token `cxpulse start` keeps in the data dir, when there is one. */
function readTokenFile(cfg: Config): string | undefined {
  const file = path.join(cfg.dataDir, 'api-token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}
