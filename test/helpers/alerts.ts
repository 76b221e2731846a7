import type { AddressInfo } from 'node:net';
import { AlertEvaluator } from '../../alerts/evaluate/evaluator.ts';
import type { PipelineProbe } from '../../alerts/evaluate/probe.ts';
import { channelConfig } from '../../alerts/channels/send.ts';
import { validate, type RulesDocument } from '../../alerts/rules/store.ts';
import { AlertStore } from '../../alerts/state/store.ts';
import { Runtime } from '../../cli/runtime.ts';
import { createClickHouse, type ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { migrate } from '../../transforms/migrate.ts';
import { TOKENS } from './dashboard.ts';
import { planter, type Plant } from './plant.ts';
import { receiver, type Receiver } from './receiver.ts';
import { testConfig, testEnv } from './env.ts';

/**
 * The configuration of an alerts test: Shanghai time, webhooks allowed to the loopback receivers
 * (test/helpers/receiver.ts), links to https://cx.example.com; `env` adds to it.
 */
export function alertsConfig(env: Record<string, string> = {}): Config {
  return testConfig(
    testEnv({
      CXPULSE_TIMEZONE: 'Asia/Shanghai',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      CXPULSE_PUBLIC_URL: 'https://cx.example.com',
      ...env,
    }),
  );
}

/** The embedded engine of a configuration, migrated; close `ch` in afterAll. */
export async function migratedEngine(cfg: Config): Promise<{ ch: ClickHouseClient; db: string }> {
  const ch = createClickHouse(cfg.clickhouse);
  const db = cfg.clickhouse.database;
  await migrate(ch, db);
  return { ch, db };
}

/** What an evaluator test runs over: a webhook receiver, the alerts config, the migrated engine, a planter. */
export interface AlertsBench {
  inbox: Receiver;
  cfg: Config;
  ch: ClickHouseClient;
  db: string;
  plant: Plant;
  /** Closes the engine, then the receiver (for afterAll). */
  close(): Promise<void>;
}

/** Starts an AlertsBench (its receiver answering `200 {}`, its config alertsConfig()). */
export async function alertsBench(): Promise<AlertsBench> {
  const inbox = await receiver();
  const cfg = alertsConfig();
  const { ch, db } = await migratedEngine(cfg);
  const close = async () => {
    await ch.close();
    await inbox.close();
  };
  return { inbox, cfg, ch, db, plant: planter(ch, db), close };
}

/** A pipeline in good health: the ingester running, no lag, no dead letters, no failed report. */
export function healthyProbe(ageMinutes: () => number = () => 0): PipelineProbe {
  return {
    ingester: () => ({ state: 'running' }),
    consumerLag: () => Promise.resolve(0),
    dlqLastHour: () => Promise.resolve(0),
    dataAgeMinutes: () => Promise.resolve(ageMinutes()),
    lastReportFailed: () => Promise.resolve(null),
  };
}

/** An evaluator of the fixed rules `doc` over a healthy pipeline, keeping its states in `store`. */
export function fixedEvaluator(ch: ClickHouseClient, cfg: Config, doc: RulesDocument, store: AlertStore) {
  return new AlertEvaluator({
    client: ch,
    cfg,
    rules: validate(doc, cfg),
    store,
    probe: healthyProbe(),
    channels: channelConfig(cfg),
  });
}

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
