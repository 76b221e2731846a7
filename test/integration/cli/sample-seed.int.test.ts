import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import { recordSampleChange, SAMPLE_CHANGE_USER } from '../../../cli/sample-change.ts';
import type { ClickHouseClient } from '../../../infra/clickhouse.ts';
import type { Config } from '../../../infra/config.ts';
import { topicOffsets } from '../../../infra/kafka/client.ts';
import { topicNames } from '../../../infra/kafka/topics.ts';
import { listChanges } from '../../../metrics/answer/changes.ts';
import { plantedEffects } from '../../../sample/index.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

/**
 * The first run shows a process change: `cxpulse start` seeding the sample into a fresh store records
 * the sample's planted change (team t2, local midnight half-way through the window) as a process change,
 * exactly once — seeding again on a store with data adds neither data nor a second change. The expected
 * date is worked out here from the window (days before today's UTC midnight, Shanghai midnight of the
 * middle day), not taken from the code.
 */

const DAY = 86_400_000;
const DAYS = 40;
const CUSTOMERS = 20;
let cfg: Config;
let rt: Runtime;
let ch: ClickHouseClient;

beforeAll(async () => {
  cfg = testConfig(
    testEnv({
      CXPULSE_SAMPLE_DAYS: String(DAYS),
      CXPULSE_SAMPLE_CUSTOMERS: String(CUSTOMERS),
      ROLLUP_REFRESH_SCHEDULE: 'off',
      INGEST_FLUSH_MS: '100',
    }),
  );
  rt = new Runtime(cfg);
  ch = await rt.clickhouseUp();
  // as `cxpulse start` does: the ingester first (its group join waits for the new topics' leaders)
  await rt.startIngester();
});

afterAll(async () => {
  await rt?.close();
});

/** Messages in the interactions topic (every partition's high watermark). */
async function inTopic(): Promise<number> {
  const admin = (await rt.kafkaUp()).admin();
  await admin.connect();
  try {
    const offsets = await topicOffsets(admin, topicNames(cfg.kafka.topicPrefix).interactions);
    return offsets.reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function storedVersions(): Promise<number> {
  const rs = await ch.query({
    query: `SELECT count() AS n FROM ${cfg.clickhouse.database}.process_changes`,
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]?.n);
}

describe('seeding the sample', () => {
  it('records the planted process change with its title and date', async () => {
    expect(await listChanges(ch, cfg)).toEqual([]);
    await rt.seedSampleIfEmpty();
    expect(await inTopic()).toBeGreaterThan(0);

    const now = new Date();
    const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - DAYS * DAY;
    const middle = new Date(start + Math.floor(DAYS / 2) * DAY);
    // Asia/Shanghai is UTC+8 all year: its midnight is 16:00 UTC the day before
    const expectedStart =
      Date.UTC(middle.getUTCFullYear(), middle.getUTCMonth(), middle.getUTCDate()) - 8 * 3_600_000;

    const changes = await listChanges(ch, cfg);
    expect(changes).toHaveLength(1);
    const [change] = changes;
    const planted = plantedEffects({ seed: cfg.sample.seed, customers: CUSTOMERS, days: DAYS }).processChange;
    expect(change).toMatchObject({
      id: 'pc-t2-one-touch',
      title: planted.title,
      scope: { team_id: ['t2'] },
      created_by: SAMPLE_CHANGE_USER,
    });
    expect(Date.parse(change!.starts_at)).toBe(expectedStart);
    expect(change!.description).toMatch(/t2/);
  });

  it('does not stream again or add a second change on a store that has data', async () => {
    const sent = await inTopic();
    const [before] = await listChanges(ch, cfg);
    await rt.seedSampleIfEmpty();
    expect(await inTopic()).toBe(sent);
    expect(await listChanges(ch, cfg)).toEqual([before]);
    expect(await storedVersions()).toBe(1);
  });

  it('records the change once even when asked again (no new version)', async () => {
    const again = await recordSampleChange(ch, cfg, {
      seed: cfg.sample.seed,
      customers: CUSTOMERS,
      days: DAYS,
    });
    expect(again).toBeNull();
    expect(await storedVersions()).toBe(1);
    expect(await listChanges(ch, cfg)).toHaveLength(1);
  });
});
