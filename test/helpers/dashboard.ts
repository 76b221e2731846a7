import type { AddressInfo } from 'node:net';
import { Runtime } from '../../cli/runtime.ts';
import { generateSample } from '../../sample/index.ts';
import { toRow } from '../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../ingest/sink.ts';
import { saveChange } from '../../metrics/answer/changes.ts';
import { refreshRollups } from '../../transforms/refresh.ts';
import { testConfig, testEnv } from './env.ts';

export const TOKENS = {
  viewer: 'viewer-token-0123456789abcdef',
  analyst: 'analyst-token-0123456789abcdef',
  editor: 'editor-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
} as const;

/** Days of sample data up to today: the pages' default period (the last 28 days) and the retention drivers' (the 90 days ending 90 days ago) have data. */
export const SAMPLE_DAYS = 200;

/**
 * A running server with sample data for the dashboards: the seeded generator's events written to the
 * store, the rollups refreshed, one process change recorded; tokens of every role. No Kafka needed.
 */
export async function dashboardServer(
  overrides: Record<string, string> = {},
): Promise<{ rt: Runtime; base: string }> {
  const cfg = testConfig(
    testEnv({
      CXPULSE_TIMEZONE: 'Asia/Shanghai',
      CXPULSE_API_TOKENS: Object.entries(TOKENS)
        .map(([role, t]) => `${t}=${role}`)
        .join(','),
      ROLLUP_REFRESH_SCHEDULE: 'off',
      ...overrides,
    }),
  );
  const rt = new Runtime(cfg);
  const ch = await rt.clickhouseUp();
  const start = new Date(Date.now() - SAMPLE_DAYS * 86_400_000);
  start.setUTCHours(0, 0, 0, 0);
  const rows: Record<string, string[]> = { interactions: [], surveys: [], customers: [] };
  let i = 0;
  for (const e of generateSample({
    seed: 11,
    customers: 600,
    days: SAMPLE_DAYS,
    start,
    timeZone: cfg.timeZone,
  })) {
    if (Date.parse(e.occurred_at) > Date.now()) continue;
    const { table, row } = toRow(e, { topic: 't', partition: 0, offset: String(i++) });
    rows[table]!.push(rowLine(row));
  }
  await new ClickHouseSink(ch, cfg.clickhouse.database).write({ rows, dlq: [] });
  await saveChange(ch, cfg, {
    title: 'Callback for unresolved calls',
    starts_at: new Date(Date.now() - 30 * 86_400_000).toISOString(),
    scope: {},
    user: 'test',
    description: 'seeded by the test',
  } as Parameters<typeof saveChange>[2]);
  await refreshRollups(ch, cfg, { overlapMs: 0 });
  const server = await rt.startServer({ collector: false, tokens: [], api: { tokens: cfg.http.apiTokens } });
  return { rt, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
