import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEvaluator } from '../../../alerts/evaluate/evaluator.ts';
import { channelConfig } from '../../../alerts/channels/send.ts';
import { parseRules } from '../../../alerts/rules/definitions.ts';
import { AlertStore } from '../../../alerts/state/store.ts';
import { Runtime } from '../../../cli/runtime.ts';
import { parseDefinitions } from '../../../dashboards/reports/definitions.ts';
import { ReportRunner } from '../../../dashboards/reports/runner.ts';
import type { ClickHouseClient } from '../../../infra/clickhouse.ts';
import type { Config } from '../../../infra/config.ts';
import { alertsConfig } from '../../helpers/alerts.ts';
import { openedCall, planter, type Plant } from '../../helpers/plant.ts';
import { receiver, webhookAt, webhookBodies, type Receiver } from '../../helpers/receiver.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * The service and pipeline checks not covered elsewhere, end to end over the real engine, the run's
 * real broker, the runtime's real ingester and probe, and a local webhook receiver:
 * `complaints_without_follow_up_48h` by team fires for the one team over its count and resolves when
 * follow-ups made in time arrive late; `dlq_growth` fires on poison the ingester dead-letters and
 * resolves an hour later; `consumer_lag` fires while the ingester is stopped and messages pile up, and
 * resolves once it has caught up; `report_failed` fires on a report run whose delivery is refused and
 * resolves on a later run that succeeds. Each sends one firing and one resolved message.
 */

const HOOK_SECRET = 'alert-hook-secret';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let inbox: Receiver;
let cfg: Config;
let rt: Runtime;
let ch: ClickHouseClient;
let db: string;
let plant: Plant;
let raw: Kafka;

const store = (owner: string) => new AlertStore(ch, { database: db, owner, settleMs: 100 });

interface Sent {
  transition: string;
  value: number | null;
}
/** The notifications each webhook call to a rule's path carried. */
const sent = (name: string): Sent[][] =>
  webhookBodies<{ notifications: Sent[] }>(inbox, name).map((b) => b.notifications);
const transitions = (name: string) => sent(name).map((n) => n.map((x) => x.transition));
/** The rule notified exactly once firing (with `value`) and once resolved. */
function expectFiredAndResolved(name: string, value: number): void {
  expect(transitions(name)).toEqual([['firing'], ['resolved']]);
  expect(sent(name)[0]![0]!.value).toBe(value);
}

/** An evaluator of one rule sending to its own webhook path, over the runtime's real probe. */
function evaluator(rule: Record<string, unknown>, owner: string): AlertEvaluator {
  const name = String(rule['name']);
  const rules = parseRules(
    {
      channels: webhookAt(inbox.base, name, HOOK_SECRET),
      alerts: [{ for: '0s', ...rule, channels: [name] }],
    },
    { locale: 'en', allowHttp: true },
  );
  return new AlertEvaluator({
    client: ch,
    cfg,
    rules,
    store: store(owner),
    probe: rt.pipelineProbe(),
    channels: channelConfig(cfg),
  });
}

async function produce(topic: string, values: string[]): Promise<void> {
  const p = raw.producer();
  await p.connect();
  await p.send({ topic, messages: values.map((value, i) => ({ key: `k-${i}`, value })) });
  await p.disconnect();
}

/** A whole event (with its id, as the broker carries it) of a phone call opened at `at`. */
const opened = (id: string, at: Date, team = 'lag') => ({
  event_id: randomUUID(),
  schema_version: 1,
  ...openedCall(id, team, at),
});

beforeAll(async () => {
  inbox = await receiver();
  cfg = alertsConfig({
    WEBHOOK_SECRET: 'report-hook-secret',
    INGEST_FLUSH_MS: '100',
    ROLLUP_REFRESH_SCHEDULE: 'off',
  });
  rt = new Runtime(cfg);
  ch = await rt.clickhouseUp();
  db = cfg.clickhouse.database;
  plant = planter(ch, db);
  await rt.startIngester();
  raw = new Kafka({ clientId: 'checks-producer', brokers: cfg.kafka.brokers!, logLevel: logLevel.NOTHING });
}, 120_000);

afterAll(async () => {
  await rt?.close();
  await inbox?.close();
});

/** A complaint of the plan: opened, resolved an hour later, followed up `followUpAfterH` after that. */
interface Complaint {
  id: string;
  team: string;
  resolvedAt: number;
  /** hours after resolution; null: not yet */
  followUpAfterH: number | null;
}

function complaintEvents(c: Complaint): Record<string, unknown>[] {
  const iso = (ms: number) => new Date(ms).toISOString();
  const out: Record<string, unknown>[] = [
    {
      type: 'interaction.opened',
      occurred_at: iso(c.resolvedAt - HOUR),
      interaction_id: c.id,
      customer_id: `c-${c.id}`,
      channel: 'phone',
      category: 'complaint',
      priority: 'normal',
      team_id: c.team,
    },
    { type: 'interaction.resolved', occurred_at: iso(c.resolvedAt), interaction_id: c.id },
  ];
  if (c.followUpAfterH !== null)
    out.push({
      type: 'interaction.followed_up',
      occurred_at: iso(c.resolvedAt + c.followUpAfterH * HOUR),
      interaction_id: c.id,
    });
  return out;
}

describe('complaints without a follow-up within 48 h, by team', () => {
  it('fires once for the one team over the count, and resolves once follow-ups made in time arrive', async () => {
    const now = Date.now();
    const plan: Complaint[] = [];
    const add = (
      team: string,
      count: number,
      resolvedHoursAgo: number,
      followUp: (i: number) => number | null,
    ) => {
      for (let i = 0; i < count; i++)
        plan.push({
          id: `fu-${team}-${i}`,
          team,
          resolvedAt: now - resolvedHoursAgo * HOUR,
          followUpAfterH: followUp(i),
        });
    };
    // fu1: 6 resolved 60 h ago, 2 followed up after 5 h, 1 after 50 h (too late), 3 never
    add('fu1', 6, 60, (i) => (i < 2 ? 5 : i === 2 ? 50 : null));
    // fu2: 4 resolved 55 h ago, 3 followed up after 1 h, 1 never
    add('fu2', 4, 55, (i) => (i < 3 ? 1 : null));
    // fu3: 5 resolved 10 h ago, none followed up yet: their 48 h have not passed
    add('fu3', 5, 10, () => null);
    await plant(plan.flatMap(complaintEvents));
    // counted here: resolved, the 48 h passed at `at`, and no follow-up within them
    const overdue = (team: string, at: number) =>
      plan.filter(
        (c) =>
          c.team === team &&
          c.resolvedAt + 48 * HOUR <= at &&
          (c.followUpAfterH === null || c.followUpAfterH > 48),
      ).length;
    expect([overdue('fu1', now), overdue('fu2', now), overdue('fu3', now)]).toEqual([4, 1, 0]);

    const ev = evaluator(
      {
        name: 'follow-up-overdue',
        kind: 'service',
        check: 'complaints_without_follow_up_48h',
        filters: { team_id: ['fu1', 'fu2', 'fu3'] },
        by: 'team_id',
        above: 2,
        for: '1m',
      },
      'fu-eval',
    );
    const at = (m: number) => new Date(now + m * MINUTE);
    await ev.evaluate('live', at(0)); // pending
    expect(await store('reader').read('follow-up-overdue', 'team_id=fu1')).toMatchObject({
      phase: 'pending',
      value: 4,
    });
    await ev.evaluate('live', at(2)); // firing
    await ev.evaluate('live', at(3)); // still firing: nothing more
    expect(await store('reader').read('follow-up-overdue', 'team_id=fu1')).toMatchObject({
      phase: 'firing',
      value: overdue('fu1', now),
    });
    expect(await store('reader').read('follow-up-overdue', 'team_id=fu2')).toMatchObject({
      phase: 'ok',
      value: overdue('fu2', now),
    });
    expect(await store('reader').read('follow-up-overdue', 'team_id=fu3')).toBeNull();

    // two follow-ups made 10 h after their resolution reach the store only now: fu1 falls to 2
    for (const c of plan.filter((x) => x.team === 'fu1' && x.followUpAfterH === null).slice(0, 2)) {
      c.followUpAfterH = 10;
      await plant(complaintEvents(c).slice(2));
    }
    expect(overdue('fu1', now)).toBe(2);
    await ev.evaluate('live', at(4)); // condition false: resolving, not yet for 1 m
    expect(await store('reader').read('follow-up-overdue', 'team_id=fu1')).toMatchObject({
      phase: 'resolved',
      value: 2,
    });
    await ev.evaluate('live', at(6)); // resolved notice
    await ev.evaluate('live', at(7));
    await ev.stop();
    expect(await store('reader').read('follow-up-overdue', 'team_id=fu1')).toMatchObject({
      phase: 'ok',
      value: 2,
    });
    expectFiredAndResolved('follow-up-overdue', 4);
    const groups = (await store('reader').events({ rule: 'follow-up-overdue' }))
      .filter((e) => e.what === 'delivery' && e.result === 'sent')
      .map((e) => e.group);
    expect(groups).toEqual(['team_id=fu1', 'team_id=fu1']);
  });
});

describe('dlq_growth over the real ingester', () => {
  it('fires on the poison it dead-letters, with their count, and resolves when the hour has passed', async () => {
    const topics = rt.topics!;
    const poison = [
      '{"type": "interaction.opened", "interaction_id": ', // not JSON
      'plain text, not an event',
      JSON.stringify({ ...opened('dlq-bad', new Date()), channel: 'carrier-pigeon' }), // not in the schema
    ];
    const dlqRows = async () => {
      const rs = await ch.query({ query: `SELECT count() AS n FROM ${db}.dlq FINAL`, format: 'JSONEachRow' });
      return Number((await rs.json<{ n: string }>())[0]!.n);
    };
    const ev = evaluator({ name: 'dlq', kind: 'pipeline', check: 'dlq_growth', per_hour: 2 }, 'dlq-eval');
    await ev.evaluate('live');
    expect(await store('reader').read('dlq', '')).toMatchObject({ phase: 'ok', value: 0 });
    await produce(topics.interactions, poison);
    await waitFor('the poison dead-lettered', dlqRows, (n) => n === poison.length, { timeoutMs: 60_000 });
    const now = Date.now();
    await ev.evaluate('live', new Date(now));
    await ev.evaluate('live', new Date(now + MINUTE));
    expect(await store('reader').read('dlq', '')).toMatchObject({ phase: 'firing', value: poison.length });
    // nothing more arrives: an hour later none was rejected in the last hour
    await ev.evaluate('live', new Date(now + 61 * MINUTE));
    await ev.evaluate('live', new Date(now + 62 * MINUTE));
    await ev.stop();
    expect(await store('reader').read('dlq', '')).toMatchObject({ phase: 'ok', value: 0 });
    expectFiredAndResolved('dlq', poison.length);
  }, 120_000);
});

describe('consumer_lag over the real broker', () => {
  it('fires while the stopped ingester falls behind, and resolves once it has caught up', async () => {
    const topics = rt.topics!;
    const stored = async (ids: string[]) => {
      const rs = await ch.query({
        query: `SELECT uniqExact(interaction_id) AS n FROM ${db}.interaction_events
                WHERE interaction_id IN {ids:Array(String)}`,
        query_params: { ids },
        format: 'JSONEachRow',
      });
      return Number((await rs.json<{ n: string }>())[0]!.n);
    };
    /** The ingester stored every one of `ids` and the broker shows no lag. */
    const caughtUp = async (ids: string[]) => {
      await waitFor(
        'stored',
        () => stored(ids),
        (n) => n === ids.length,
        { timeoutMs: 60_000 },
      );
      await waitFor(
        'no lag',
        () => rt.pipelineProbe().consumerLag(),
        (l) => l === 0,
        { timeoutMs: 30_000 },
      );
    };
    const ev = evaluator({ name: 'lag', kind: 'pipeline', check: 'consumer_lag', messages: 20 }, 'lag-eval');
    // the ingester is running and has consumed what was sent so far
    const warm = ['lag-warm'];
    await produce(topics.interactions, [JSON.stringify(opened(warm[0]!, new Date()))]);
    await caughtUp(warm);
    await ev.evaluate('live');
    expect(await store('reader').read('lag', '')).toMatchObject({ phase: 'ok', value: 0 });

    await rt.ingester!.stop();
    const ids = Array.from({ length: 30 }, (_, i) => `lag-${i}`);
    await produce(
      topics.interactions,
      ids.map((id) => JSON.stringify(opened(id, new Date()))),
    );
    await ev.evaluate('live');
    expect(await store('reader').read('lag', '')).toMatchObject({ phase: 'firing', value: ids.length });
    // /metrics shows the same backlog, though the stopped ingester sets no gauge itself
    const gauge = await rt.metrics.registry.getSingleMetric('cxpulse_consumer_lag_messages')!.get();
    const behind = gauge.values.filter((v) => v.labels['topic'] === topics.interactions);
    expect(behind.reduce((sum, v) => sum + v.value, 0)).toBe(ids.length);

    await rt.startIngester();
    await caughtUp(ids);
    await ev.evaluate('live');
    await ev.evaluate('live');
    await ev.stop();
    expect(await store('reader').read('lag', '')).toMatchObject({ phase: 'ok', value: 0 });
    expectFiredAndResolved('lag', ids.length);
  }, 180_000);
});

describe('report_failed over real report runs', () => {
  it('fires once when a run fails on a refused delivery, and resolves when a later run succeeds', async () => {
    const defs = parseDefinitions(
      {
        reports: [
          {
            name: 'refused',
            schedule: '0 8 * * *',
            period: 'yesterday',
            sections: ['kpis'],
            formats: ['html'],
            webhook: { url: 'http://receiver.invalid/hook' },
          },
          {
            name: 'delivered',
            schedule: '0 8 * * *',
            period: 'yesterday',
            sections: ['kpis'],
            formats: ['html'],
            webhook: { url: `${inbox.base}/report/hook` },
          },
        ],
      },
      { timeZone: cfg.timeZone, locale: 'en' },
    );
    const runner = new ReportRunner(ch, cfg);
    const day = new Date(Date.now() - 24 * HOUR).toISOString().slice(0, 10);
    const ev = evaluator({ name: 'report', kind: 'pipeline', check: 'report_failed' }, 'report-eval');
    await ev.evaluate('live');
    // no report ever ran: unknown, nothing
    expect(await store('reader').read('report', '')).toMatchObject({ phase: 'ok' });

    const failed = await runner.runNow(defs[0]!, { from: day, to: day });
    expect(failed).toMatchObject({ status: 'failed', attempt: 1 });
    expect(failed.error).toMatch(/receiver\.invalid/);
    await ev.evaluate('live');
    await ev.evaluate('live');
    expect(await store('reader').read('report', '')).toMatchObject({ phase: 'firing', value: 1 });

    const ok = await runner.runNow(defs[1]!, { from: day, to: day });
    expect(ok.status).toBe('succeeded');
    expect(inbox.hits.filter((h) => h.path === '/report/hook')).toHaveLength(1);
    await ev.evaluate('live');
    await ev.evaluate('live');
    await ev.stop();
    await runner.idle();
    expect(await store('reader').read('report', '')).toMatchObject({ phase: 'ok', value: 0 });
    expect(transitions('report')).toEqual([['firing'], ['resolved']]);
  }, 120_000);
});
