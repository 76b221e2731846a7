import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RulesDocument } from '../../../alerts/rules/store.ts';
import { AlertStore } from '../../../alerts/state/store.ts';
import type { ClickHouseClient } from '../../../infra/clickhouse.ts';
import type { Config } from '../../../infra/config.ts';
import { alertsBench, fixedEvaluator, type AlertsBench } from '../../helpers/alerts.ts';
import { answeredAt, phoneCall, type Plant } from '../../helpers/plant.ts';
import { webhookAt, webhookBodies, type Receiver } from '../../helpers/receiver.ts';

/**
 * Rolling windows and groups that vanish, end to end on the real engine: `last_24h` counts the last 24
 * hours and nothing older; a `breaching_now` group whose breaches are answered (so it has no rows any
 * more) resolves once after `for`; a KPI group whose service leaves the window resolves once, its value
 * "no data". A local webhook receiver keeps what each rule sent.
 */

const HOOK_SECRET = 'groups-hook-secret';
const MIN = 60_000;
const HOUR = 60 * MIN;
let inbox: Receiver;
let cfg: Config;
let ch: ClickHouseClient;
let db: string;
let plant: Plant;

const store = (owner: string) => new AlertStore(ch, { database: db, owner, settleMs: 100 });

interface Sent {
  text: string;
  notifications: { transition: string; value: number | null; n: number }[];
}
const sent = (name: string) => webhookBodies<Sent>(inbox, name);
const transitions = (name: string) => sent(name).map((s) => s.notifications.map((x) => x.transition));

const evaluator = (doc: RulesDocument, owner: string) => fixedEvaluator(ch, cfg, doc, store(owner));

const hook = (name: string) => webhookAt(inbox.base, name, HOOK_SECRET);

/** A phone call of a team opened at `at`: abandoned 10 s later, answered 5 s later, or left waiting. */
const call = (team: string, id: string, at: number, end: 'abandoned' | 'answered' | 'waiting') =>
  phoneCall(id, team, at, end);

let bench: AlertsBench;
beforeAll(async () => {
  ({ inbox, cfg, ch, db, plant } = bench = await alertsBench());
});
afterAll(() => bench.close());

describe('last_24h', () => {
  it('is the last 24 hours: calls opened 25 h ago do not count, those 23 h ago do', async () => {
    const now = Date.now();
    const planted: { at: number; abandoned: boolean }[] = [
      // 25 h ago: 6 calls, all abandoned; 23 h ago: 8 calls, 2 abandoned; 1 h ago: 2 calls, 1 abandoned
      ...Array.from({ length: 6 }, () => ({ at: now - 25 * HOUR, abandoned: true })),
      ...Array.from({ length: 8 }, (_, i) => ({ at: now - 23 * HOUR, abandoned: i < 2 })),
      ...Array.from({ length: 2 }, (_, i) => ({ at: now - HOUR, abandoned: i < 1 })),
    ];
    await plant(
      planted.flatMap((p, i) => call('w24', `w24-${i}`, p.at, p.abandoned ? 'abandoned' : 'answered')),
    );
    // computed here: the calls opened in [now − 24 h, now)
    const inWindow = planted.filter((p) => p.at >= now - 24 * HOUR && p.at < now);
    const expected = (100 * inWindow.filter((p) => p.abandoned).length) / inWindow.length;
    expect(inWindow).toHaveLength(10);
    const ev = evaluator(
      {
        channels: hook('w24'),
        alerts: [
          {
            name: 'abandon-24h',
            kind: 'kpi',
            metric: 'abandonment_rate',
            filters: { team_id: 'w24' },
            window: 'last_24h',
            condition: { above: 40 },
            min_n: 5,
            for: '0s',
            channels: ['w24'],
          },
        ],
      },
      'w24-eval',
    );
    await ev.evaluate('all', new Date(now));
    await ev.stop();
    const state = await store('reader').read('abandon-24h', '');
    expect(state).toMatchObject({ phase: 'ok', n: inWindow.length });
    expect(state?.value).toBeCloseTo(expected, 9);
    expect(sent('w24')).toHaveLength(0);
  });
});

describe('a group that vanishes', () => {
  it('breaching_now by team: answered breaches leave no rows, and the team resolves once after `for`', async () => {
    const t0 = Date.now();
    await plant([0, 1].flatMap((i) => call('vb1', `vb1-${i}`, t0 - 2 * HOUR, 'waiting')));
    const ev = evaluator(
      {
        channels: hook('vb'),
        alerts: [
          {
            name: 'breach-by-team',
            kind: 'service',
            check: 'breaching_now',
            filters: { team_id: ['vb1', 'vb2'] },
            by: 'team_id',
            for: '10m',
            channels: ['vb'],
          },
        ],
      },
      'vb-eval',
    );
    await ev.evaluate('live', new Date(t0));
    await ev.evaluate('live', new Date(t0 + 11 * MIN));
    expect(await store('reader').read('breach-by-team', 'team_id=vb1')).toMatchObject({
      phase: 'firing',
      value: 2,
    });
    await plant([0, 1].map((i) => answeredAt(`vb1-${i}`, t0 - HOUR)));
    await ev.evaluate('live', new Date(t0 + 12 * MIN));
    expect(transitions('vb')).toEqual([['firing']]); // not yet: the condition must stay false for `for`
    await ev.evaluate('live', new Date(t0 + 23 * MIN));
    await ev.evaluate('live', new Date(t0 + 24 * MIN));
    await ev.evaluate('live', new Date(t0 + 40 * MIN));
    await ev.stop();
    expect(transitions('vb')).toEqual([['firing'], ['resolved']]);
    expect(sent('vb')[1]!.notifications[0]).toMatchObject({ value: 0 });
    expect((await store('reader').list('breach-by-team')).map((s) => s.group)).toEqual(['team_id=vb1']);
  });

  it('a KPI group whose service leaves the window resolves once, its value "no data"', async () => {
    const t0 = Date.now();
    // 4 calls of team vk1 23 h ago, 3 abandoned: 75 % > 50 % in the last 24 h, until they age out
    await plant(
      [0, 1, 2, 3].flatMap((i) => call('vk1', `vk1-${i}`, t0 - 23 * HOUR, i < 3 ? 'abandoned' : 'answered')),
    );
    const ev = evaluator(
      {
        channels: hook('vk'),
        alerts: [
          {
            name: 'abandon-by-team',
            kind: 'kpi',
            metric: 'abandonment_rate',
            locale: 'zh-CN',
            filters: { team_id: ['vk1'] },
            by: 'team_id',
            window: 'last_24h',
            condition: { above: 50 },
            min_n: 3,
            for: '10m',
            channels: ['vk'],
          },
        ],
      },
      'vk-eval',
    );
    await ev.evaluate('all', new Date(t0));
    await ev.evaluate('all', new Date(t0 + 11 * MIN));
    expect(await store('reader').read('abandon-by-team', 'team_id=vk1')).toMatchObject({
      phase: 'firing',
      value: 75,
      n: 4,
    });
    // an hour later the calls are 24 h old: the team has no row in the window
    await ev.evaluate('all', new Date(t0 + HOUR + 1 * MIN));
    await ev.evaluate('all', new Date(t0 + HOUR + 12 * MIN));
    await ev.evaluate('all', new Date(t0 + HOUR + 30 * MIN));
    await ev.stop();
    expect(transitions('vk')).toEqual([['firing'], ['resolved']]);
    const resolved = sent('vk')[1]!;
    expect(resolved.notifications[0]).toMatchObject({ value: null, n: 0 });
    expect(resolved.text).toContain('窗口内无数据');
    expect(await store('reader').read('abandon-by-team', 'team_id=vk1')).toMatchObject({ phase: 'ok' });
  });
});
