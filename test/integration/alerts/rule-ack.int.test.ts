import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEvaluator } from '../../../alerts/evaluate/evaluator.ts';
import { channelConfig } from '../../../alerts/channels/send.ts';
import { validate, type RulesDocument } from '../../../alerts/rules/store.ts';
import { AlertStore } from '../../../alerts/state/store.ts';
import type { Runtime } from '../../../cli/runtime.ts';
import type { AlertActionResult, AlertList } from '../../../dashboards/wire.ts';
import type { ClickHouseClient } from '../../../infra/clickhouse.ts';
import { alertsServer, healthyProbe } from '../../helpers/alerts.ts';
import { TOKENS } from '../../helpers/dashboard.ts';
import { answeredAt, openedCall, planter, type Plant } from '../../helpers/plant.ts';
import { receiver, type Receiver } from '../../helpers/receiver.ts';

/**
 * A breakdown rule acknowledged or silenced as a whole through the API: the acknowledgement (kept on
 * group '') holds the firing notice of every group while the rule's episode lasts, a group that starts
 * firing later included; the resolved notice still goes for the group whose firing was notified (the
 * machine sends a resolved notice only for a notified firing); once no group fires the acknowledgement
 * ends and a new group notifies. A silence sends nothing for any group until it ends. A local webhook
 * receiver records what each rule sent.
 */

let rt: Runtime;
let base: string;
let ch: ClickHouseClient;
let hook: Receiver;
let plant: Plant;

const rule = (name: string, teams: string[]) => ({
  name,
  kind: 'service',
  check: 'breaching_now',
  filters: { team_id: teams },
  by: 'team_id',
  for: '0s',
  channels: ['hook'],
});
const doc = (): RulesDocument => ({
  channels: { hook: { webhook: { url: `${hook.base}/hook`, secret: 'rule-ack-secret' } } },
  alerts: [rule('ack-whole', ['ra-a1', 'ra-a2', 'ra-a3']), rule('mute-whole', ['ra-m1', 'ra-m2'])],
});

const opened = (team: string) => openedCall(`ra-${team}`, team, Date.now() - 3 * 3_600_000);
const answered = (team: string) => answeredAt(`ra-${team}`, Date.now() - 3_600_000);

const evaluate = async (at = new Date()) => {
  const ev = new AlertEvaluator({
    client: ch,
    cfg: rt.cfg,
    rules: validate(doc(), rt.cfg),
    store: new AlertStore(ch, { database: rt.cfg.clickhouse.database, owner: 'ev', settleMs: 0 }),
    probe: healthyProbe(),
    channels: channelConfig(rt.cfg),
  });
  await ev.evaluate('live', at);
  await ev.stop();
};

async function post(path: string, body: unknown): Promise<{ status: number; body: AlertActionResult }> {
  const res = await fetch(`${base}/api/v1/alerts/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.editor}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as AlertActionResult };
}
const states = async (name: string) => {
  const res = await fetch(`${base}/api/v1/alerts`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
  return ((await res.json()) as AlertList).rules.find((r) => r.name === name)!.states;
};
interface Notice {
  rule: { id: string };
  transition: string;
  group?: string | null;
}
/** `transition:group` of each notice the hook took for a rule, in order. */
const sentBy = (name: string) =>
  hook.hits
    .flatMap((h) => (JSON.parse(h.body) as { notifications: Notice[] }).notifications)
    .filter((n) => n.rule.id === name)
    .map((n) => `${n.transition}:${n.group ?? null}`);

beforeAll(async () => {
  hook = await receiver();
  ({ rt, base } = await alertsServer(JSON.stringify(doc()), { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }));
  ch = await rt.clickhouseUp();
  plant = planter(ch, rt.cfg.clickhouse.database);
}, 240_000);

afterAll(async () => {
  await rt?.close();
  await hook?.close();
});

describe('a breakdown rule acknowledged as a whole', () => {
  it('holds a group that starts firing later; the notified group still resolves; then it ends', async () => {
    await plant([opened('ra-a1')]);
    await evaluate();
    expect(sentBy('ack-whole')).toEqual(['firing:ra-a1']);
    const r = await post('ack-whole/acknowledge', { why: '正在处理积压' });
    expect(r.status).toBe(200);
    expect(r.body.changed).toEqual([{ rule: 'ack-whole', group: '' }]);
    expect((await states('ack-whole')).find((s) => s.group === '')!.ack).toMatchObject({
      why: '正在处理积压',
    });

    await plant([opened('ra-a2')]);
    await evaluate();
    expect(sentBy('ack-whole')).toEqual(['firing:ra-a1']); // a2 fires, held back
    const a2 = (await states('ack-whole')).find((s) => s.group === 'team_id=ra-a2')!;
    expect(a2).toMatchObject({ phase: 'firing', ack: { why: '正在处理积压' } });

    await plant([answered('ra-a1'), answered('ra-a2')]);
    await evaluate();
    // a1's firing was notified: its resolved notice goes; a2's was held: nothing to resolve
    expect(sentBy('ack-whole')).toEqual(['firing:ra-a1', 'resolved:ra-a1']);
    expect((await states('ack-whole')).find((s) => s.group === '')!.ack).toBeNull();

    await plant([opened('ra-a3')]);
    await evaluate();
    expect(sentBy('ack-whole')).toEqual(['firing:ra-a1', 'resolved:ra-a1', 'firing:ra-a3']);
  }, 60_000);
});

describe('a breakdown rule silenced as a whole', () => {
  it('sends nothing for any group, later ones included, until the silence ends', async () => {
    await plant([opened('ra-m1')]);
    await evaluate();
    expect(sentBy('mute-whole')).toEqual(['firing:ra-m1']);
    const until = new Date(Date.now() + 3_600_000);
    const r = await post('mute-whole/silence', { until: until.toISOString(), why: '系统维护' });
    expect(r.status).toBe(200);
    await plant([opened('ra-m2')]);
    await evaluate();
    expect(sentBy('mute-whole')).toEqual(['firing:ra-m1']);
    expect((await states('mute-whole')).find((s) => s.group === 'team_id=ra-m2')!.silence).toMatchObject({
      why: '系统维护',
    });
    // after the silence: the group still firing whose firing was never notified now is
    await evaluate(new Date(until.getTime() + 60_000));
    expect(sentBy('mute-whole')).toEqual(['firing:ra-m1', 'firing:ra-m2']);
  }, 60_000);
});
