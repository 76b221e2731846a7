import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../../alerts/evaluate/deliver.ts';
import { AlertEvaluator } from '../../../alerts/evaluate/evaluator.ts';
import type { Notification } from '../../../alerts/channels/types.ts';
import { channelConfig } from '../../../alerts/channels/send.ts';
import { validate, type RulesDocument } from '../../../alerts/rules/store.ts';
import { AlertStore } from '../../../alerts/state/store.ts';
import type { ClickHouseClient } from '../../../infra/clickhouse.ts';
import type { Config } from '../../../infra/config.ts';
import { alertsConfig, healthyProbe, migratedEngine } from '../../helpers/alerts.ts';
import { openedCall, planter } from '../../helpers/plant.ts';
import { jsonReply, receiver, type Receiver } from '../../helpers/receiver.ts';

/**
 * Notices the robot's rate limit holds back survive a crash: two breakdown rules with 25 groups each
 * fire to one DingTalk robot (20 messages per window); the first spends the budget, the second's 25
 * notices are held; the evaluator stops before sending them; two new evaluators on the same store start,
 * still hold them while the budget is spent (the sends in the history count), then deliver each held
 * notice exactly once between them (a summary counts its members), and the history shows queued, held,
 * sent. A local DingTalk receiver checks each request's signature.
 */

const SECRET = 'held-ding-secret';
// the robot's rate window, real time: long enough that the steps between the first sends and the next
// evaluators stay inside it on a loaded machine (15 s did not, under CI load)
const WINDOW_MS = 60_000;
const TEAMS = Array.from({ length: 25 }, (_, i) => `hq-${String(i + 1).padStart(2, '0')}`);
let robot: Receiver;
/** the markdown text of each request the robot took */
const texts: string[] = [];
let cfg: Config;
let ch: ClickHouseClient;
let db: string;

const rule = (name: string, title: string, forDuration: string) => ({
  name,
  title,
  kind: 'service',
  check: 'breaching_now',
  by: 'team_id',
  for: forDuration,
  channels: ['robot'],
});

const DOC = (): RulesDocument => ({
  channels: { robot: { dingtalk: { url: `${robot.base}/dingtalk?access_token=t-held`, secret: SECRET } } },
  alerts: [rule('burst', '突发积压', '0s'), rule('later', '持续积压', '5m')],
});

const evaluator = (owner: string) =>
  new AlertEvaluator({
    client: ch,
    cfg,
    rules: validate(DOC(), cfg),
    store: new AlertStore(ch, { database: db, owner, settleMs: 50 }),
    probe: healthyProbe(),
    channels: channelConfig(cfg),
    limit: { limit: 20, windowMs: WINDOW_MS },
  });

/** How many of the robot's messages of a rule (by its title) name each team. */
function perTeam(title: string): Map<string, number> {
  const counts = new Map(TEAMS.map((t) => [t, 0]));
  for (const text of texts.filter((x) => x.includes(title)))
    for (const t of TEAMS) if (text.includes(t)) counts.set(t, counts.get(t)! + 1);
  return counts;
}

/** The requests not signed as DingTalk signs (SECRET over the request's timestamp). */
const badSigns = () =>
  robot.hits
    .filter((h) => {
      const ts = h.query.get('timestamp') ?? '';
      const want = createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`).digest('base64');
      return h.query.get('sign') !== want;
    })
    .map((h) => `${h.path}?${h.query.toString()}`);

beforeAll(async () => {
  robot = await receiver((hit) => {
    texts.push((JSON.parse(hit.body) as { markdown: { text: string } }).markdown.text);
    return jsonReply('{"errcode":0,"errmsg":"ok"}');
  });
  cfg = alertsConfig();
  ({ ch, db } = await migratedEngine(cfg));
  const opened = new Date(Date.now() - 3 * 3_600_000);
  await planter(ch, db)(TEAMS.map((team) => openedCall(`held-${team}`, team, opened)));
});
afterAll(async () => {
  await ch.close();
  await robot.close();
});

describe('notices held back by a robot’s rate limit', () => {
  it('survive a crash and are delivered exactly once by the evaluators that start next', async () => {
    const t0 = Date.now() - 20 * 60_000;
    const first = evaluator('first');
    await first.evaluate('live', new Date(t0)); // burst: 25 groups fire; later: pending
    expect(texts).toHaveLength(20); // 19 alone, then one summary of the other 6
    expect([...perTeam('突发积压').values()]).toEqual(TEAMS.map(() => 1));
    await first.evaluate('live', new Date(t0 + 6 * 60_000)); // later: 25 groups fire, the budget is spent
    await first.stop(); // a crash: nothing of later was sent
    expect(texts).toHaveLength(20);
    const reader = new AlertStore(ch, { database: db, owner: 'reader', settleMs: 0 });
    const heldRows = (await reader.events({ rule: 'later' })).filter((e) => e.result === 'held');
    expect(heldRows.map((e) => e.group).sort()).toEqual(TEAMS.map((t) => `team_id=${t}`));

    const [a, b] = [evaluator('second'), evaluator('third')];
    await Promise.all([
      a.evaluate('live', new Date(t0 + 7 * 60_000)),
      b.evaluate('live', new Date(t0 + 7 * 60_000)),
    ]);
    expect(texts).toHaveLength(20); // still within the window: the history's 20 sends count
    await sleep(WINDOW_MS + 500);
    await Promise.all([
      a.evaluate('live', new Date(t0 + 8 * 60_000)),
      b.evaluate('live', new Date(t0 + 8 * 60_000)),
    ]);
    await Promise.all([a.stop(), b.stop()]);

    expect([...perTeam('持续积压').values()]).toEqual(TEAMS.map(() => 1)); // each once, none twice
    expect([...perTeam('突发积压').values()]).toEqual(TEAMS.map(() => 1)); // nothing resent
    expect(badSigns()).toEqual([]);
    const history = (await reader.events({ rule: 'later' })).filter((e) => e.what === 'delivery').reverse();
    for (const team of TEAMS) {
      const rows = history.filter((e) => e.group === `team_id=${team}`);
      expect(
        rows.map((e) => e.result),
        team,
      ).toEqual(['queued', 'held', 'sent']);
      expect(rows[0]!.detail, team).toBeUndefined(); // the notification kept for the sender, not shown
    }
    expect(await reader.owed()).toEqual([]);
  }, 240_000);

  it('a notice owed to a destination an editor removed is ended as failed, with the reason, once', async () => {
    const store = (owner: string) => new AlertStore(ch, { database: db, owner, settleMs: 50 });
    const notification = {
      transition: 'firing',
      measured: { value: 3, n: 3 },
      at: new Date(),
    } as unknown as Notification;
    const dest = { name: 'old-robot', dingtalk: { url: `${robot.base}/dingtalk`, secret: SECRET } };
    const owed = { rule: 'removed', group: '', seq: 1, notification };
    await new Outbox(channelConfig(cfg), store('x')).add(dest as never, [owed], new Date());
    const sentBefore = texts.length;
    await Promise.all(['y', 'z'].map((o) => new Outbox(channelConfig(cfg), store(o)).flush([], new Date())));
    const rows = (await store('reader').events({ rule: 'removed' })).filter((e) => e.what === 'delivery');
    expect(rows.map((e) => e.result).sort()).toEqual(['failed', 'queued']);
    expect(rows.find((e) => e.result === 'failed')?.detail).toMatch(/^destination_removed: "old-robot"/);
    expect(texts.length).toBe(sentBefore);
    expect(await store('reader').owed()).toEqual([]);
  }, 60_000);

  it('a send begun and never finished (its sender stopped) is made again after a while, at most three times', async () => {
    const store = (owner: string) => new AlertStore(ch, { database: db, owner, settleMs: 50 });
    const rs = await ch.query({
      query: `SELECT detail FROM ${db}.alert_events WHERE what = 'delivery' AND result = 'queued' AND rule = 'later' LIMIT 1`,
      format: 'JSONEachRow',
    });
    const detail = (await rs.json<{ detail: string }>())[0]!.detail;
    const notification = {
      ...(JSON.parse(detail) as Notification),
      rule: { id: 'crashed', name: '中断的发送' },
    };
    const crashedTexts = () => texts.filter((x) => x.includes('中断的发送')).length;
    const robot = validate(DOC(), cfg).destinations.find((d) => d.name === 'robot')!;
    const outbox = (owner: string) => new Outbox(channelConfig(cfg), store(owner));
    const owedOne = async (rule: string, at: Date) =>
      (await store('r').owed(at)).filter((o) => o.rule === rule);
    const t = Date.now();
    const at = (min: number) => new Date(t + min * 60_000);

    // a sender claims the notice and stops before recording how the send went
    await outbox('x').add(robot, [{ rule: 'crashed', group: '', seq: 1, notification }], at(0));
    const [o] = await owedOne('crashed', at(0));
    expect(await store('x').claimDelivery(o!)).toBe(true);
    const before = texts.length;
    await outbox('y').flush([robot], at(1)); // claimed a minute ago: another's send, not owed
    expect(texts.length).toBe(before);
    await Promise.all(['y', 'z'].map((w) => outbox(w).flush([robot], at(11)))); // stale: owed again
    expect(crashedTexts()).toBe(1);
    await outbox('y').flush([robot], at(22));
    expect(crashedTexts()).toBe(1);
    const rows = (await store('r').events({ rule: 'crashed' })).filter((e) => e.what === 'delivery');
    expect(rows.map((e) => e.result).sort()).toEqual(['queued', 'sent']);

    // three sends begun and never finished: ended as failed with the reason, never sent
    await outbox('x').add(robot, [{ rule: 'crashed-thrice', group: '', seq: 1, notification }], at(0));
    for (let k = 0; k < 3; k++) {
      const [p] = await owedOne('crashed-thrice', at(11 * (k + 1)));
      expect(p?.claims).toBe(k);
      expect(await store('x').claimDelivery(p!)).toBe(true);
    }
    await outbox('y').flush([robot], at(44));
    expect(crashedTexts()).toBe(1);
    const ended = (await store('r').events({ rule: 'crashed-thrice' })).filter((e) => e.result === 'failed');
    expect(ended.map((e) => e.detail)).toEqual([expect.stringMatching(/^delivery_interrupted: 3 sends/)]);
    expect(await owedOne('crashed-thrice', at(99))).toEqual([]);
  }, 60_000);
});
