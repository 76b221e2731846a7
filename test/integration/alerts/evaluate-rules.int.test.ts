import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEvaluator } from '../../../alerts/evaluate/evaluator.ts';
import type { PipelineProbe } from '../../../alerts/evaluate/probe.ts';
import { channelConfig } from '../../../alerts/channels/send.ts';
import { currentRules, saveRules, type RulesDocument } from '../../../alerts/rules/store.ts';
import { AlertStore } from '../../../alerts/state/store.ts';
import { applyChange, silencing } from '../../../dashboards/routes/alert-actions.ts';
import type { ClickHouseClient } from '../../../infra/clickhouse.ts';
import type { Config } from '../../../infra/config.ts';
import { alertsBench, fixedEvaluator, healthyProbe, type AlertsBench } from '../../helpers/alerts.ts';
import { answeredAt, openedCall, phoneCall, type Plant } from '../../helpers/plant.ts';
import { webhookAt, webhookBodies, type Receiver } from '../../helpers/receiver.ts';

/**
 * The evaluator as the runtime builds it (the rules read from the store at each evaluation): an
 * editor's edit is what the next evaluation uses; a silence set on a whole rule by the API holds every
 * group of its breakdown, later groups included; an anomaly rule fires once when today leaves the
 * control limits; a `breaching_now` rule fires on unanswered interactions past their target and
 * resolves when they are answered. A local webhook receiver counts what each rule sent.
 */

const HOOK_SECRET = 'alert-hook-secret';
let inbox: Receiver;
let cfg: Config;
let ch: ClickHouseClient;
let db: string;
let plant: Plant;

const store = (owner: string) => new AlertStore(ch, { database: db, owner, settleMs: 100 });
/** The transitions each webhook call of a path carried. */
const sent = (name: string) =>
  webhookBodies<{ notifications: { transition: string; value: number | null }[] }>(inbox, name).map(
    (b) => b.notifications,
  );

/** The evaluator as cli/runtime.ts `startAlerts` builds it: the version in force at each evaluation. */
function runtimeEvaluator(
  fileText: string,
  owner: string,
  p: PipelineProbe = healthyProbe(),
): AlertEvaluator {
  return new AlertEvaluator({
    client: ch,
    cfg,
    rules: async () => (await currentRules(ch, cfg, fileText)).parsed,
    store: store(owner),
    probe: p,
    channels: channelConfig(cfg),
  });
}

/** An evaluator of fixed rules (the store's versions are the editors' test's). */
const fixed = (doc: RulesDocument, owner: string) => fixedEvaluator(ch, cfg, doc, store(owner));

const hook = (name: string) => webhookAt(inbox.base, name, HOOK_SECRET);
const yamlOf = (doc: RulesDocument) => JSON.stringify(doc); // JSON is YAML

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const HOUR = 3_600_000;

/** Phone calls of a team opened `hoursAgo`, never answered (past any response target). */
const unanswered = (team: string, count: number, tag: string) =>
  Array.from({ length: count }, (_, i) => openedCall(`${tag}-${team}-${i}`, team, ago(2 * HOUR)));

let bench: AlertsBench;
beforeAll(async () => {
  ({ inbox, cfg, ch, db, plant } = bench = await alertsBench());
});
afterAll(() => bench.close());

describe('editors’ versions', () => {
  it('the next evaluation uses an edit saved in the store: a bar lowered fires, a rule deleted stops', async () => {
    const fileText = yamlOf({
      channels: hook('edit'),
      alerts: [
        { name: 'stale', kind: 'pipeline', check: 'data_stale', minutes: 60, for: '0s', channels: ['edit'] },
      ],
    });
    const ev = runtimeEvaluator(
      fileText,
      'edit-eval',
      healthyProbe(() => 45),
    );
    await ev.evaluate('live');
    // 45 minutes old data under a 60-minute bar: fine
    expect(await store('reader').read('stale', '')).toMatchObject({ phase: 'ok', value: 45 });
    const v1 = await currentRules(ch, cfg, fileText);
    await saveRules(ch, cfg, fileText, {
      ifVersion: v1.version,
      change: (d) => ({ ...d, alerts: d.alerts.map((a) => ({ ...a, minutes: 30 })) }),
      by: 'li',
      comment: 'stricter',
    });
    await ev.evaluate('live');
    expect(await store('reader').read('stale', '')).toMatchObject({ phase: 'firing', value: 45 });
    expect(sent('edit').map((n) => n.map((x) => x.transition))).toEqual([['firing']]);
    // deleted: no longer evaluated, so nothing more is sent even once the data is fresh
    await saveRules(ch, cfg, fileText, {
      ifVersion: v1.version + 1,
      change: (d) => ({ ...d, alerts: [] }),
      by: 'li',
      comment: 'gone',
    });
    const report = await ev.evaluate('live');
    await ev.stop();
    expect(report.rules).toBe(0);
    expect(await store('reader').read('stale', '')).toMatchObject({ phase: 'firing' });
    expect(sent('edit')).toHaveLength(1);
  });
});

describe('a silence on a whole rule with a breakdown', () => {
  it('holds every group, including a group that first appears after it was set', async () => {
    const doc: RulesDocument = {
      channels: hook('mute'),
      alerts: [
        {
          name: 'mute',
          kind: 'service',
          check: 'breaching_now',
          filters: { team_id: ['m1', 'm2'] },
          by: 'team_id',
          for: '0s',
          channels: ['mute'],
        },
      ],
    };
    // set by the API's own function before the rule was ever evaluated: stored under group ''
    const until = new Date(Date.now() + HOUR);
    expect(
      await applyChange(store('api'), 'mute', silencing('li', until, 'maintenance'), new Date()),
    ).toEqual(['']);
    await plant(unanswered('m1', 2, 'mute'));
    const ev = fixed(doc, 'mute-eval');
    await ev.evaluate('live');
    await plant(unanswered('m2', 3, 'mute'));
    await ev.evaluate('live');
    await ev.stop();
    for (const [group, value] of [
      ['team_id=m1', 2],
      ['team_id=m2', 3],
    ] as const)
      expect(await store('reader').read('mute', group)).toMatchObject({
        phase: 'firing',
        value,
        silence: { by: 'li', why: 'maintenance' },
      });
    const held = (await store('reader').events({ rule: 'mute' })).filter((e) => e.what === 'suppressed');
    expect(held.map((e) => e.group).sort()).toEqual(['team_id=m1', 'team_id=m2']);
    expect(sent('mute')).toHaveLength(0);
  });

  it('a silence set after the groups were known holds a group first seen later too', async () => {
    const doc: RulesDocument = {
      channels: hook('late'),
      alerts: [
        {
          name: 'late',
          kind: 'service',
          check: 'breaching_now',
          filters: { team_id: ['l1', 'l2'] },
          by: 'team_id',
          above: 5,
          for: '0s',
          channels: ['late'],
        },
      ],
    };
    await plant(unanswered('l1', 1, 'late'));
    const ev = fixed(doc, 'late-eval');
    await ev.evaluate('live'); // l1: 1, not above 5
    const until = new Date(Date.now() + HOUR);
    expect(await applyChange(store('api'), 'late', silencing('wang', until, 'drill'), new Date())).toEqual([
      'team_id=l1',
    ]);
    await plant(unanswered('l2', 6, 'late'));
    await ev.evaluate('live');
    await ev.stop();
    expect(await store('reader').read('late', 'team_id=l2')).toMatchObject({
      phase: 'firing',
      value: 6,
      silence: { by: 'wang', why: 'drill' },
    });
    expect(sent('late')).toHaveLength(0);
  });
});

/** One phone call of a team opened at `at`: answered 5 s later, or abandoned 10 s later. */
const call = (team: string, id: string, at: number, abandoned: boolean) =>
  phoneCall(id, team, at, abandoned ? 'abandoned' : 'answered');

describe('an anomaly rule', () => {
  it('fires once when today’s abandonment leaves the control limits of the last 7 days', async () => {
    const DAY = 24 * HOUR;
    const now = Date.now();
    const events: Record<string, unknown>[] = [];
    // the 7 baseline days: 20 calls a day, 2 abandoned (10 %); today: 20 calls, 15 abandoned (75 %)
    for (let d = 1; d <= 7; d++)
      for (let i = 0; i < 20; i++) events.push(...call('anom', `an-${d}-${i}`, now - d * DAY, i < 2));
    for (let i = 0; i < 20; i++) events.push(...call('anom', `an-0-${i}`, now - 60_000, i < 15));
    await plant(events);
    // the p-chart computed here: centre 14 / 140, limits ± 3 √(p̄(1 − p̄) / 20)
    const p = 14 / 140;
    const ucl = 100 * (p + 3 * Math.sqrt((p * (1 - p)) / 20));
    expect(75).toBeGreaterThan(ucl);
    expect(10).toBeLessThan(ucl);
    const ev = fixed(
      {
        channels: hook('anom'),
        alerts: [
          {
            name: 'abandon-spike',
            kind: 'anomaly',
            metric: 'abandonment_rate',
            filters: { team_id: 'anom' },
            baseline_days: 7,
            min_n: 10,
            for: '0s',
            channels: ['anom'],
          },
        ],
      },
      'anom-eval',
    );
    await ev.evaluate('all');
    await ev.evaluate('all');
    await ev.stop();
    expect(await store('reader').read('abandon-spike', '')).toMatchObject({
      phase: 'firing',
      value: 75,
      n: 20,
    });
    const got = sent('anom');
    expect(got.map((n) => n.map((x) => x.transition))).toEqual([['firing']]);
    expect(got[0]![0]!.value).toBe(75);
  });
});

describe('a breaching_now rule', () => {
  it('fires on unanswered calls past their target and resolves once they are answered', async () => {
    const ev = fixed(
      {
        channels: hook('svc'),
        alerts: [
          {
            name: 'breaching',
            kind: 'service',
            check: 'breaching_now',
            filters: { team_id: 'svc' },
            for: '0s',
            channels: ['svc'],
          },
        ],
      },
      'svc-eval',
    );
    await ev.evaluate('live');
    expect(await store('reader').read('breaching', '')).toMatchObject({ phase: 'ok', value: 0 });
    // 3 phone calls opened 2 h ago, never answered: each past its 30 s response target
    await plant(unanswered('svc', 3, 'svc'));
    await ev.evaluate('live');
    await ev.evaluate('live');
    expect(await store('reader').read('breaching', '')).toMatchObject({ phase: 'firing', value: 3 });
    await plant([0, 1, 2].map((i) => answeredAt(`svc-svc-${i}`, ago(HOUR))));
    await ev.evaluate('live');
    await ev.evaluate('live');
    await ev.stop();
    expect(await store('reader').read('breaching', '')).toMatchObject({ phase: 'ok', value: 0 });
    const got = sent('svc');
    expect(got.map((n) => n.map((x) => x.transition))).toEqual([['firing'], ['resolved']]);
    expect(got[0]![0]!.value).toBe(3);
  });
});
