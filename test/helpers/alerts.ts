import type { AddressInfo } from 'node:net';
import { AlertStore } from '../../alerts/state/store.ts';
import { Runtime } from '../../cli/runtime.ts';
import { TOKENS } from './dashboard.ts';
import { testConfig, testEnv } from './env.ts';

/**
 * What the alerts API and page tests share: a rules document (two destinations, three rules of three
 * kinds, one with a breakdown by team) and a server with the API over it, plus the store the evaluator
 * writes (to plant its states).
 */

export const ALERTS_FILE = `
channels:
  managers:
    email: [manager@example.com]
  ops:
    webhook: { url: "http://127.0.0.1:9/hook", secret: s3cret }
alerts:
  - name: 投诉回访-按组
    kind: kpi
    metric: follow_up_48h
    by: team_id
    window: last_7d
    condition: { status: missed }
    channels: [managers]
  - name: csat-t1
    kind: kpi
    metric: csat
    filters: { team_id: t1 }
    window: today
    condition: { below: 85 }
    channels: [ops]
  - name: ingester-down
    kind: pipeline
    check: ingester_down
    channels: [ops]
`;

/** The rule of ALERTS_FILE with a breakdown by team. */
export const FOLLOW_UP = '投诉回访-按组';

/** The server over a rules document (ALERTS_FILE unless given), with more environment if given. */
export async function alertsServer(
  alertsText = ALERTS_FILE,
  env: Record<string, string> = {},
): Promise<{ rt: Runtime; base: string; store: AlertStore }> {
  const cfg = testConfig(
    testEnv({
      ...env,
      CXPULSE_API_TOKENS: Object.entries(TOKENS)
        .map(([role, t]) => `${t}=${role}`)
        .join(','),
      ROLLUP_REFRESH_SCHEDULE: 'off',
      WEBHOOK_ALLOW_PRIVATE: 'true',
    }),
  );
  const rt = new Runtime(cfg);
  const server = await rt.startServer({
    collector: false,
    tokens: [],
    api: { tokens: cfg.http.apiTokens, alertsText },
  });
  const store = new AlertStore(await rt.clickhouseUp(), {
    database: cfg.clickhouse.database,
    owner: 'evaluator-under-test',
    settleMs: 0,
  });
  return { rt, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store };
}
