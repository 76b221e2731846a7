import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import { clickHouseTime } from '../../infra/time.ts';
import {
  initialState,
  step,
  underRule,
  type AlertState,
  type Observation,
  type Step,
  type Timing,
} from './machine.ts';

/**
 * The alerts' state and history in ClickHouse (migration 011): `alert_states`, `alert_events` and the
 * claims (`alert_claims`) that let several evaluator processes share the work with each change made once.
 * The claim works as the report scheduler's slot claims (dashboards/reports/claims.ts): a change is
 * claimed by its key `rule|group|seq`, the claimer waits `settleMs` for concurrent claims to become
 * visible, and only the earliest claim (server time, then owner) acts. A change that already has a
 * claim is never claimed again, so a restarted or second evaluator that computes the same step from the
 * same stored state loses and sends nothing.
 */

export interface StoreOptions {
  database: string;
  /** this process, as claims name it */
  owner: string;
  /** how long a claimer waits before reading back every claim; more than an insert takes to be seen */
  settleMs: number;
}

/** One row of the history. */
export interface AlertEvent {
  rule: string;
  group: string;
  seq: number;
  at: Date;
  what: 'transition' | 'suppressed' | 'ack' | 'silence' | 'delivery';
  from?: string;
  to?: string;
  notice?: string;
  value?: number | null;
  n?: number | null;
  channel?: string;
  /** delivery: queued, held (by the rate limit), then sent, failed (retried) or refused (never retried) */
  result?: string;
  detail?: string;
  attempt?: number;
  who?: string;
  why?: string;
}

/** What one evaluation did: the machine's step and whether this process won it (only then send). */
export interface Advance {
  step: Step;
  /** true when the step needed no claim, or this process won it */
  won: boolean;
}

type Row = Record<string, unknown>;
const time = (v: unknown): Date | null =>
  v === null || v === undefined ? null : new Date(`${String(v).replace(' ', 'T')}Z`);
const ch = (d: Date | null): string | null => (d ? clickHouseTime(d) : null);
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export class AlertStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly opts: StoreOptions,
  ) {}

  private table(name: string): string {
    return `${this.opts.database}.${name}`;
  }

  /** The stored state of a rule × group, or null when it was never evaluated. */
  async read(rule: string, group: string): Promise<AlertState | null> {
    const rs = await this.client.query({
      query: `SELECT * FROM ${this.table('alert_states')} WHERE rule = {r:String} AND group_key = {g:String}
              ORDER BY seq DESC, written_at DESC LIMIT 1`,
      query_params: { r: rule, g: group },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<Row>();
    return row ? fromRow(row) : null;
  }

  /** Every stored state (of one rule, or all), one per rule × group. */
  async list(rule?: string): Promise<{ rule: string; group: string; state: AlertState }[]> {
    const rs = await this.client.query({
      query: `SELECT * FROM ${this.table('alert_states')}
              ${rule === undefined ? '' : 'WHERE rule = {r:String}'}
              ORDER BY rule, group_key, seq DESC, written_at DESC LIMIT 1 BY rule, group_key`,
      query_params: rule === undefined ? {} : { r: rule },
      format: 'JSONEachRow',
    });
    return (await rs.json<Row>()).map((r) => ({
      rule: String(r['rule']),
      group: String(r['group_key']),
      state: fromRow(r),
    }));
  }

  /** Claim change `seq` of a rule × group; true when this process won it. */
  claim(rule: string, group: string, seq: number): Promise<boolean> {
    return this.claimKeyed(claimKey(rule, group, seq), rule, group, seq);
  }

  /** Claim the delivery of an owed notice to a destination (`delivery|rule|group|seq|dest|notice`). */
  claimDelivery(o: OwedDelivery): Promise<boolean> {
    return this.claimKeyed(deliveryKey(o), o.rule, o.group, o.seq);
  }

  private async claimKeyed(key: string, rule: string, group: string, seq: number): Promise<boolean> {
    if ((await this.claims(key)).length > 0) return false;
    await this.client.insert({
      table: this.table('alert_claims'),
      values: [{ claim_key: key, rule, group_key: group, seq, owner: this.opts.owner }],
      format: 'JSONEachRow',
      // visible to the other evaluators when the insert returns, whatever the server's profile says
      clickhouse_settings: { async_insert: 0 },
    });
    if (this.opts.settleMs > 0) await sleep(this.opts.settleMs);
    const [first] = await this.claims(key);
    return first?.owner === this.opts.owner;
  }

  private async claims(key: string): Promise<{ owner: string }[]> {
    const rs = await this.client.query({
      query: `SELECT owner FROM ${this.table('alert_claims')} WHERE claim_key = {k:String}
              ORDER BY claimed_at, owner`,
      query_params: { k: key },
      format: 'JSONEachRow',
    });
    return rs.json<{ owner: string }>();
  }

  /** Write a state (after winning its claim, or a same-`seq` refresh of the last value). */
  async write(rule: string, group: string, s: AlertState): Promise<void> {
    await this.client.insert({
      table: this.table('alert_states'),
      values: [toRow(rule, group, s)],
      format: 'JSONEachRow',
      clickhouse_settings: { async_insert: 0 },
    });
  }

  /** End the acknowledgement of a rule as a whole (group `''`) once no group is pending or firing. */
  async endRuleAck(rule: string): Promise<void> {
    const s = await this.read(rule, '');
    if (!s?.ack) return;
    const next: AlertState = { ...s, ack: null, seq: s.seq + 1 };
    if (await this.claim(rule, '', next.seq)) await this.write(rule, '', next);
  }

  /** Append rows to the history. */
  async record(events: AlertEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.client.insert({
      table: this.table('alert_events'),
      values: events.map(eventRow),
      format: 'JSONEachRow',
      clickhouse_settings: { async_insert: 0 },
    });
  }

  /**
   * The notices owed to a destination and not yet delivered, by any process: a `delivery` recorded
   * `queued` (the notification kept in `detail`) or `held`, with no `sent`, `failed` or `refused` after
   * it, and not claimed — or claimed longer than `staleMs` before `now` by a sender that never recorded
   * how it went (it stopped mid-send: the notice is owed again, `claims` says how many sends began).
   * Oldest first.
   */
  async owed(now = new Date(), staleMs = STALE_CLAIM_MS): Promise<OwedDelivery[]> {
    const rs = await this.client.query({
      query: `SELECT e.rule AS rule, e.group_key AS group_key, e.seq AS seq, e.notice AS notice,
                     e.channel AS channel, e.payload AS payload, e.held AS held, c.claims AS claims
              FROM (
                SELECT rule, group_key, seq, notice, channel,
                       argMinIf(detail, recorded_at, result = 'queued') AS payload,
                       max(result = 'held') AS held, min(recorded_at) AS first,
                       concat('delivery|', rule, '|', group_key, '|', toString(seq), '|', channel, '|', notice) AS k
                FROM ${this.table('alert_events')} WHERE what = 'delivery'
                GROUP BY rule, group_key, seq, notice, channel
                HAVING countIf(result NOT IN ('queued', 'held')) = 0 AND countIf(result = 'queued') > 0
              ) AS e
              LEFT JOIN (
                SELECT replaceRegexpOne(claim_key, '^redelivery[|][0-9]+[|]', '') AS k,
                       uniqExact(claim_key) AS claims, max(claimed_at) AS last
                FROM ${this.table('alert_claims')}
                WHERE startsWith(claim_key, 'delivery|') OR startsWith(claim_key, 'redelivery|')
                GROUP BY k
              ) AS c ON c.k = e.k
              WHERE c.claims = 0 OR c.last < fromUnixTimestamp64Milli({stale:Int64})
              ORDER BY e.first, e.rule, e.group_key, e.seq`,
      query_params: { stale: now.getTime() - staleMs },
      format: 'JSONEachRow',
    });
    return (await rs.json<Row>()).map((r) => ({
      rule: String(r['rule']),
      group: String(r['group_key']),
      seq: Number(r['seq']),
      notice: String(r['notice']),
      dest: String(r['channel']),
      payload: String(r['payload']),
      held: Number(r['held']) === 1,
      claims: Number(r['claims']),
    }));
  }

  /** When messages went to a destination since `sinceMs` (one time per message: a summary's rows share it). */
  async sentTimes(dest: string, sinceMs: number): Promise<number[]> {
    const rs = await this.client.query({
      query: `SELECT DISTINCT toUnixTimestamp64Milli(at) AS t FROM ${this.table('alert_events')}
              WHERE what = 'delivery' AND channel = {c:String} AND result NOT IN ('queued', 'held')
                AND toUnixTimestamp64Milli(at) > {s:Int64}`,
      query_params: { c: dest, s: sinceMs },
      format: 'JSONEachRow',
    });
    return (await rs.json<{ t: string | number }>()).map((r) => Number(r.t));
  }

  /** The history, newest first (of one rule, or all); within one step the transition comes before what followed it. */
  async events(opts: { rule?: string; limit?: number } = {}): Promise<AlertEvent[]> {
    const rs = await this.client.query({
      query: `SELECT * FROM ${this.table('alert_events')}
              ${opts.rule === undefined ? '' : 'WHERE rule = {r:String}'}
              ORDER BY at DESC, seq DESC, recorded_at DESC, what = 'transition' LIMIT {l:UInt32}`,
      query_params: { l: opts.limit ?? 1000, ...(opts.rule === undefined ? {} : { r: opts.rule }) },
      format: 'JSONEachRow',
    });
    return (await rs.json<Row>()).map(eventFromRow);
  }

  /**
   * One evaluation of a rule × group: read its state, step the machine, and — when the step changes
   * what must happen once — claim it. Only the winner writes the new state and its history; the caller
   * sends `step.notices` only when `won`. A step that changes nothing but the value is written as is.
   * `whole` is the rule's own state (group `''`) for a group of a rule with a breakdown: its silence or
   * acknowledgement holds the group too (`underRule`).
   */
  async advance(
    rule: string,
    group: string,
    obs: Observation,
    t: Timing,
    now: Date,
    whole: AlertState | null = null,
  ): Promise<Advance> {
    const prev = underRule((await this.read(rule, group)) ?? initialState(now), whole, now);
    const s = step(prev, obs, t, now);
    if (s.claim && !(await this.claim(rule, group, s.state.seq))) return { step: s, won: false };
    await this.write(rule, group, s.state);
    const base = { rule, group, seq: s.state.seq, at: now, value: obs.value, n: obs.n };
    await this.record([
      ...(s.transition
        ? [{ ...base, what: 'transition' as const, from: s.transition.from, to: s.transition.to }]
        : []),
      ...(s.suppressed ? [{ ...base, what: 'suppressed' as const, notice: s.suppressed }] : []),
    ]);
    return { step: s, won: true };
  }
}

/** A notice owed to a destination, as `alert_events` keeps it until its delivery is recorded. */
export interface OwedDelivery {
  rule: string;
  group: string;
  seq: number;
  notice: string;
  /** the destination's name (`channel` in the history) */
  dest: string;
  /** the notification as JSON */
  payload: string;
  /** already recorded as held back by the rate limit */
  held: boolean;
  /** sends begun and never recorded (their sender stopped mid-send); 0 for a notice never claimed */
  claims: number;
}

/**
 * The claim of a delivery: `delivery|rule|group|seq|dest|notice` for its first send, and
 * `redelivery|N|delivery|…` for the send that follows N sends begun and never recorded.
 */
export function deliveryKey(
  o: Pick<OwedDelivery, 'rule' | 'group' | 'seq' | 'dest' | 'notice'> & { claims?: number },
): string {
  const key = `delivery|${o.rule}|${o.group}|${o.seq}|${o.dest}|${o.notice}`;
  return o.claims ? `redelivery|${o.claims}|${key}` : key;
}

/**
 * How long a claimed delivery may go without its outcome before it is owed again: far longer than a
 * send with all its retries takes, so only a sender that stopped mid-send leaves one that old.
 */
export const STALE_CLAIM_MS = 10 * 60_000;

export function claimKey(rule: string, group: string, seq: number): string {
  return `${rule}|${group}|${seq}`;
}

function toRow(rule: string, group: string, s: AlertState): Row {
  return {
    rule,
    group_key: group,
    seq: s.seq,
    phase: s.phase,
    since: clickHouseTime(s.since),
    value: s.value,
    n: s.n,
    evaluated_at: ch(s.evaluatedAt),
    notified_firing: s.notifiedFiring ? 1 : 0,
    last_notice: s.lastNotice ?? '',
    last_notified_at: ch(s.lastNotifiedAt),
    ack_by: s.ack?.by ?? '',
    ack_at: ch(s.ack?.at ?? null),
    ack_why: s.ack?.why ?? '',
    silence_until: ch(s.silence?.until ?? null),
    silence_by: s.silence?.by ?? '',
    silence_why: s.silence?.why ?? '',
  };
}

function fromRow(r: Row): AlertState {
  const ackAt = time(r['ack_at']);
  const until = time(r['silence_until']);
  const notice = String(r['last_notice'] ?? '');
  return {
    phase: String(r['phase']) as AlertState['phase'],
    since: time(r['since'])!,
    seq: Number(r['seq']),
    value: num(r['value']),
    n: num(r['n']),
    evaluatedAt: time(r['evaluated_at']),
    notifiedFiring: Number(r['notified_firing']) === 1,
    lastNotice: notice === '' ? null : (notice as AlertState['lastNotice']),
    lastNotifiedAt: time(r['last_notified_at']),
    ack: ackAt ? { by: String(r['ack_by']), at: ackAt, why: String(r['ack_why']) } : null,
    silence: until ? { until, by: String(r['silence_by']), why: String(r['silence_why']) } : null,
  };
}

function eventRow(e: AlertEvent): Row {
  return {
    rule: e.rule,
    group_key: e.group,
    seq: e.seq,
    at: clickHouseTime(e.at),
    what: e.what,
    from_phase: e.from ?? '',
    to_phase: e.to ?? '',
    notice: e.notice ?? '',
    value: e.value ?? null,
    n: e.n ?? null,
    channel: e.channel ?? '',
    result: e.result ?? '',
    detail: e.detail ?? '',
    attempt: e.attempt ?? 0,
    who: e.who ?? '',
    why: e.why ?? '',
  };
}

function eventFromRow(r: Row): AlertEvent {
  const text = (k: string) => (String(r[k] ?? '') === '' ? undefined : String(r[k]));
  const e: AlertEvent = {
    rule: String(r['rule']),
    group: String(r['group_key']),
    seq: Number(r['seq']),
    at: time(r['at'])!,
    what: String(r['what']) as AlertEvent['what'],
    value: num(r['value']),
    n: num(r['n']),
  };
  const opt = {
    from: 'from_phase',
    to: 'to_phase',
    notice: 'notice',
    channel: 'channel',
    result: 'result',
    detail: 'detail',
    who: 'who',
    why: 'why',
  } as const;
  for (const [k, col] of Object.entries(opt)) {
    // a queued delivery keeps its notification in `detail`, for the sender, not for readers
    const v = k === 'detail' && text('result') === 'queued' ? undefined : text(col);
    if (v !== undefined) e[k as keyof typeof opt] = v;
  }
  if (Number(r['attempt']) > 0) e.attempt = Number(r['attempt']);
  return e;
}
