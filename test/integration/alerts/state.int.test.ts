import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../../../alerts/state/store.ts';
import { initialState, silence } from '../../../alerts/state/machine.ts';
import { createClickHouse } from '../../../infra/clickhouse.ts';
import { migrate } from '../../../transforms/migrate.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

const cfg = testConfig(testEnv());
const client = createClickHouse(cfg.clickhouse);
const db = cfg.clickhouse.database;
const store = (owner: string) => new AlertStore(client, { database: db, owner, settleMs: 200 });
const T0 = Date.parse('2026-03-02T01:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const timing = { forMs: 5 * 60_000, repeatMs: 60 * 60_000 };
const below = { value: 82.5, n: 120, condition: true as const };
const clear = { value: 97, n: 130, condition: false as const };

beforeAll(async () => {
  await migrate(client, db);
});
afterAll(() => client.close());

describe('alert state in ClickHouse', () => {
  it('two concurrent claimers of the same transition: exactly one wins, and a late one loses', async () => {
    const [a, b] = await Promise.all([
      store('eval-a').claim('r1', 'team=t2', 3),
      store('eval-b').claim('r1', 'team=t2', 3),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(await store('eval-c').claim('r1', 'team=t2', 3)).toBe(false);
    // another group, another change: a claim of its own
    expect(await store('eval-c').claim('r1', 'team=t3', 3)).toBe(true);
  });

  it('two evaluators stepping the same stored state: one writes and notifies, the other sends nothing', async () => {
    const rule = 'follow-up-two';
    await store('x').advance(rule, '', below, timing, at(0)); // pending
    const [a, b] = await Promise.all([
      store('eval-a').advance(rule, '', below, timing, at(6)),
      store('eval-b').advance(rule, '', below, timing, at(6)),
    ]);
    const winners = [a, b].filter((r) => r.won);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.step.notices).toEqual(['firing']);
    const s = await store('reader').read(rule, '');
    expect(s).toMatchObject({ phase: 'firing', seq: 2, notifiedFiring: true, value: 82.5, n: 120 });
    const transitions = (await store('reader').events({ rule })).filter((e) => e.what === 'transition');
    expect(transitions.map((e) => `${e.from}→${e.to}`).reverse()).toEqual(['ok→pending', 'pending→firing']);
  });

  it('after a restart the state is read back and no transition is notified twice', async () => {
    const rule = 'follow-up-restart';
    const sent: string[] = [];
    const evaluate = async (owner: string, obs: typeof below | typeof clear, m: number) => {
      const r = await store(owner).advance(rule, 'team_id=t2', obs, timing, at(m));
      if (r.won) sent.push(...r.step.notices.map((k) => `${m}:${k}`));
    };
    await evaluate('before', below, 0);
    await evaluate('before', below, 5);
    // restart: a new store object (a new process) with the same evaluation at the same time
    await evaluate('after', below, 5);
    await evaluate('after', below, 10);
    const back = await store('after').read(rule, 'team_id=t2');
    expect(back).toMatchObject({
      phase: 'firing',
      since: at(5),
      lastNotice: 'firing',
      lastNotifiedAt: at(5),
      evaluatedAt: at(10),
    });
    await evaluate('after', clear, 11);
    await evaluate('again', clear, 16);
    await evaluate('again2', clear, 16);
    expect(sent).toEqual(['5:firing', '16:resolved']);
    expect((await store('again').read(rule, 'team_id=t2'))?.phase).toBe('ok');
  });

  it('keeps silences and acknowledgements, and the history with who and why', async () => {
    const rule = 'silenced';
    const s = silence(initialState(at(0)), { until: at(60), by: '李娜', why: '系统维护，暂停告警' });
    const st = store('api');
    expect(await st.claim(rule, '', s.seq)).toBe(true);
    await st.write(rule, '', s);
    await st.record([
      { rule, group: '', seq: s.seq, at: at(0), what: 'silence', who: '李娜', why: '系统维护，暂停告警' },
    ]);
    await st.advance(rule, '', below, timing, at(1));
    const fired = await store('eval').advance(rule, '', below, timing, at(7));
    expect(fired).toMatchObject({ won: true, step: { notices: [], suppressed: 'firing' } });
    const back = await store('page').read(rule, '');
    expect(back?.silence).toEqual({ until: at(60), by: '李娜', why: '系统维护，暂停告警' });
    const history = await store('page').events({ rule });
    expect(history.map((e) => e.what).reverse()).toEqual([
      'silence',
      'transition',
      'transition',
      'suppressed',
    ]);
    expect(history.at(-1)).toMatchObject({ who: '李娜', why: '系统维护，暂停告警' });
    await st.record([
      {
        rule,
        group: '',
        seq: 3,
        at: at(8),
        what: 'delivery',
        notice: 'firing',
        channel: 'ops-wecom',
        result: 'refused',
        detail: 'host not allowed',
        attempt: 1,
      },
    ]);
    const [latest] = await store('page').events({ rule, limit: 1 });
    expect(latest).toMatchObject({ what: 'delivery', channel: 'ops-wecom', result: 'refused', attempt: 1 });
  });
});
