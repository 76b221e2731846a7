import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import type { MetricAnswer, Standards } from '../../../dashboards/wire.ts';
import type { Config } from '../../../infra/config.ts';
import { parseEvent, type CxEvent } from '../../../ingest/events.ts';
import { toRow } from '../../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../../ingest/sink.ts';
import { refreshRollups } from '../../../transforms/refresh.ts';
import { TOKENS } from '../../helpers/dashboard.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

/**
 * The bonus clause S004-6 end to end ("agents with CSAT ≥ 95 % three months running earn the quarterly
 * bonus": `csat` by agent_id, ≥ 95 in each of 3 complete months), over HTTP, on planted events in
 * Asia/Shanghai. The surveys carry only `interaction_id`; the agent is known from the interaction:
 * - agA at 96, 97, 95.5 % (50, 100, 200 answers) — a third of its interactions name the agent only on
 *   `first_response`, a third are opened by another agent (agZ) and answered by agA, a third name agA on
 *   `opened`; qualifies;
 * - agB at 96, 94, 97 % (50, 50, 100) — dips in May; misses;
 * - agC at 100 % with only 20 answers in May (40, 20, 40); lacks data;
 * - answers with no interaction (no agent) and NPS answers about agA's interactions: in no agent's CSAT.
 * Every fourth survey arrives before its interaction's events (the rollups are refreshed in between).
 * Expected values are recounted here from the planted events (attribution: the last resolver, else the
 * first responder, else the opener; the month of the answer in Shanghai).
 */

const TZ = 'Asia/Shanghai';
const PERIOD = { from: '2026-04-01', to: '2026-06-30' };
const MONTHS = ['2026-04-01', '2026-05-01', '2026-06-01'];

/** Answers per agent and month: [answers, of them satisfied (score ≥ 4)]. */
const PLAN: Record<string, [number, number][]> = {
  agA: [
    [50, 48],
    [100, 97],
    [200, 191],
  ],
  agB: [
    [50, 48],
    [50, 47],
    [100, 97],
  ],
  agC: [
    [40, 40],
    [20, 20],
    [40, 40],
  ],
};

let rt: Runtime;
let cfg: Config;
let base: string;
let seq = 0;

const at = (day: string, hhmm: string) => `${day}T${hhmm}:00.000Z`;
/** Day `i` of a month, cycling through its first 28 days. */
const dayOf = (first: string, i: number) => `${first.slice(0, 8)}${String((i % 28) + 1).padStart(2, '0')}`;

/** Where the interaction names its agent: on opened, only on first_response, or opener ≠ responder. */
type Naming = 'opened' | 'first_response' | 'taken_over';

/** One interaction handled by `agent` and its CSAT answer (satisfied or not); also an NPS answer now and then. */
function answered(
  agent: string,
  day: string,
  satisfied: boolean,
  naming: Naming,
): { interaction: unknown[]; surveys: unknown[] } {
  const id = `i${++seq}`;
  const customer = `c${seq}`;
  const opener =
    naming === 'opened' ? { agent_id: agent } : naming === 'taken_over' ? { agent_id: 'agZ' } : {};
  const responder = naming === 'opened' ? {} : { agent_id: agent };
  const interaction = [
    {
      event_id: `${id}-o`,
      type: 'interaction.opened',
      occurred_at: at(day, '01:00'),
      interaction_id: id,
      customer_id: customer,
      channel: 'chat',
      category: 'inquiry',
      team_id: 't1',
      ...opener,
    },
    {
      event_id: `${id}-f`,
      type: 'interaction.first_response',
      occurred_at: at(day, '01:05'),
      interaction_id: id,
      ...responder,
    },
    { event_id: `${id}-r`, type: 'interaction.resolved', occurred_at: at(day, '02:00'), interaction_id: id },
  ];
  const score = satisfied ? 4 + (seq % 2) : 1 + (seq % 3);
  const surveys: unknown[] = [
    {
      event_id: `${id}-s`,
      type: 'survey.responded',
      occurred_at: at(day, '06:00'),
      customer_id: customer,
      survey: 'csat',
      score,
      interaction_id: id,
    },
  ];
  if (seq % 5 === 0)
    surveys.push({
      event_id: `${id}-n`,
      type: 'survey.responded',
      occurred_at: at(day, '06:30'),
      customer_id: customer,
      survey: 'nps',
      score: 2,
      interaction_id: id,
    });
  return { interaction, surveys };
}

const NAMINGS: Naming[] = ['first_response', 'taken_over', 'opened'];

/** The planted events in two loads: every fourth survey before its interaction's events. */
function plant(): { first: unknown[]; second: unknown[]; all: unknown[] } {
  const first: unknown[] = [];
  const second: unknown[] = [];
  for (const [agent, months] of Object.entries(PLAN))
    months.forEach(([n, satisfied], k) => {
      for (let i = 0; i < n; i++) {
        const naming = agent === 'agA' ? (NAMINGS[i % 3] as Naming) : 'opened';
        const a = answered(agent, dayOf(MONTHS[k] as string, i), i < satisfied, naming);
        first.push(...a.surveys);
        (i % 4 === 0 ? second : first).push(...a.interaction);
      }
    });
  // answers about no interaction: no one's CSAT, enough each month that a member '' would qualify
  for (const month of MONTHS)
    for (let i = 0; i < 35; i++)
      first.push({
        event_id: `free-${month}-${i}`,
        type: 'survey.responded',
        occurred_at: at(dayOf(month, i), '06:00'),
        customer_id: `f${i}`,
        survey: 'csat',
        score: 5,
        channel: 'chat',
      });
  return { first, second, all: [...first, ...second] };
}

const PLANTED = plant();

async function load(sink: ClickHouseSink, part: unknown[], offset: number): Promise<void> {
  const rows: Record<string, string[]> = { interactions: [], surveys: [], customers: [] };
  part.forEach((raw, k) => {
    const p = parseEvent(raw);
    if (!p.ok) throw new Error(JSON.stringify(p.errors));
    const { table, row } = toRow(p.event as CxEvent, {
      topic: 't',
      partition: 0,
      offset: String(offset + k),
    });
    rows[table]!.push(rowLine(row));
  });
  await sink.write({ rows, dlq: [] });
}

beforeAll(async () => {
  cfg = testConfig(
    testEnv({
      CXPULSE_TIMEZONE: TZ,
      CXPULSE_API_TOKENS: `${TOKENS.viewer}=viewer`,
      ROLLUP_REFRESH_SCHEDULE: 'off',
    }),
  );
  rt = new Runtime(cfg);
  const ch = await rt.clickhouseUp();
  const sink = new ClickHouseSink(ch, cfg.clickhouse.database);
  await load(sink, PLANTED.first, 0);
  await refreshRollups(ch, cfg, { overlapMs: 0 });
  await load(sink, PLANTED.second, PLANTED.first.length);
  await refreshRollups(ch, cfg, { overlapMs: 0 });
  const server = await rt.startServer({ collector: false, tokens: [], api: { tokens: cfg.http.apiTokens } });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 240_000);
afterAll(() => rt?.close());

const api = async <T>(p: string): Promise<T> => {
  const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
};

// ---------------------------------------------------------------- the independent computation

type Ev = Record<string, string | number | undefined>;
const monthIn = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit' });
/** The first day of the Shanghai month of an instant. */
const localMonth = (iso: string) => `${monthIn.format(new Date(iso))}-01`;

/** Each interaction's agent: its last resolver with an agent, else its first responder's, else its opener's. */
function agents(events: readonly Ev[]): Map<string, string> {
  type Kind = 'opened' | 'first_response' | 'resolved';
  const kinds: readonly string[] = ['opened', 'first_response', 'resolved'];
  const by = new Map<string, Partial<Record<Kind, Ev>>>();
  const sorted = [...events].sort((a, b) => String(a['occurred_at']).localeCompare(String(b['occurred_at'])));
  for (const e of sorted) {
    const kind = String(e['type']).replace('interaction.', '') as Kind;
    if (!kinds.includes(kind) || !e['agent_id']) continue;
    const mine = by.get(String(e['interaction_id'])) ?? {};
    // the first opened and first response; the last resolution
    if (kind === 'resolved' || !mine[kind]) mine[kind] = e;
    by.set(String(e['interaction_id']), mine);
  }
  const out = new Map<string, string>();
  for (const [id, x] of by) {
    const e = x.resolved ?? x.first_response ?? x.opened;
    out.set(id, String(e?.['agent_id']));
  }
  return out;
}

/** CSAT per agent and month: answers with score ≥ 4 ÷ answers × 100, and the answers. */
function csatByAgentMonth(): Map<string, { value: number; n: number }> {
  const events = PLANTED.all as Ev[];
  const agentOf = agents(events);
  const count = new Map<string, { x: number; n: number }>();
  for (const e of events) {
    if (e['type'] !== 'survey.responded' || e['survey'] !== 'csat') continue;
    const agent = e['interaction_id'] ? (agentOf.get(String(e['interaction_id'])) ?? '') : '';
    const key = `${agent}|${localMonth(String(e['occurred_at']))}`;
    const c = count.get(key) ?? { x: 0, n: 0 };
    c.n += 1;
    if (Number(e['score']) >= 4) c.x += 1;
    count.set(key, c);
  }
  return new Map([...count].map(([k, c]) => [k, { value: (c.x / c.n) * 100, n: c.n }]));
}

const close = (a: number | null | undefined, b: number) =>
  a !== null && a !== undefined && Math.abs(a - b) < 1e-9;

describe('S004-6, the quarterly bonus: CSAT ≥ 95 % three months running, per agent', () => {
  const want = csatByAgentMonth();

  it('the planted months are what the clause is about (checked on the recount)', () => {
    const of = (agent: string) => MONTHS.map((m) => want.get(`${agent}|${m}`));
    expect(of('agA').map((x) => x?.value)).toEqual([96, 97, 95.5].map((v) => expect.closeTo(v, 9)));
    expect(of('agB').map((x) => x?.value)).toEqual([96, 94, 97].map((v) => expect.closeTo(v, 9)));
    expect(of('agC').map((x) => x?.n)).toEqual([40, 20, 40]);
    expect([...want.keys()].some((k) => k.startsWith('agZ|'))).toBe(false);
  });

  it('GET /api/v1/standards: agA qualifies, agB misses, agC lacks data, with the recounted months', async () => {
    const s = await api<Standards>(`/api/v1/standards?from=${PERIOD.from}&to=${PERIOD.to}`);
    const row = s.rows.find((r) => r.id === 'S004-6');
    expect(row?.target).toMatchObject({
      metric: 'csat',
      kind: 'sustained',
      value: 95,
      months: 3,
      per: 'agent_id',
    });
    expect(row?.unavailable).toBeNull();
    expect(row?.required).toBe(95);
    expect(row?.sustained?.months).toEqual(MONTHS);
    expect(row?.sustained?.qualified).toEqual(['agA']);
    expect(row?.sustained?.missed).toEqual(['agB']);
    expect(row?.sustained?.insufficient).toEqual(['agC']);
    expect(row?.status).toBe('missed');
    // every member's month equals the recount; the answers about no interaction are no one's
    expect(row?.sustained?.members.map((m) => m.member)).toEqual(['agA', 'agB', 'agC']);
    for (const m of row?.sustained?.members ?? [])
      for (const x of m.months) {
        const w = want.get(`${m.member}|${x.period}`);
        expect(x.n, `${m.member} ${x.period}`).toBe(w?.n);
        expect(close(x.value, w?.value ?? NaN), `${m.member} ${x.period}: ${x.value} vs ${w?.value}`).toBe(
          true,
        );
      }
    const b = row?.sustained?.members.find((m) => m.member === 'agB');
    expect(b?.months.map((x) => x.status)).toEqual(['met', 'missed', 'met']);
    const c = row?.sustained?.members.find((m) => m.member === 'agC');
    expect(c?.months.map((x) => x.status)).toEqual(['met', 'insufficient_data', 'met']);
    // the clause's value: every CSAT answer of the period, the agentless ones included
    let x = 0;
    let n = 0;
    for (const v of want.values()) {
      n += v.n;
      x += (v.value / 100) * v.n;
    }
    expect(row?.n).toBe(n);
    expect(close(row?.value, (x / n) * 100)).toBe(true);
  });

  it('GET /api/v1/metrics/csat by agent and month: the same months and values', async () => {
    const s = await api<Standards>(`/api/v1/standards?from=${PERIOD.from}&to=${PERIOD.to}`);
    const members = s.rows.find((r) => r.id === 'S004-6')?.sustained?.members ?? [];
    const q = new URLSearchParams({ ...PERIOD, by: 'agent_id', grain: 'month' });
    const m = await api<MetricAnswer>(`/api/v1/metrics/csat?${q}`);
    const rows = m.rows.filter((r) => r['agent_id'] !== '' && r['agent_id'] !== null);
    expect(new Set(rows.map((r) => r.period))).toEqual(new Set(MONTHS));
    expect(rows.length).toBe(members.length * MONTHS.length);
    for (const r of rows) {
      const w = want.get(`${String(r['agent_id'])}|${r.period}`);
      expect(r.n, `${String(r['agent_id'])} ${r.period}`).toBe(w?.n);
      expect(close(r.value, w?.value ?? NaN)).toBe(true);
      const mine = members.find((x) => x.member === r['agent_id'])?.months.find((x) => x.period === r.period);
      expect(mine?.n).toBe(r.n);
      expect(mine?.value).toBe(r.value);
    }
  });
});
