import { acknowledge, initialState, silence, type AlertState } from '../../alerts/state/machine.ts';
import type { AlertStore } from '../../alerts/state/store.ts';
import type { AlertRule } from '../../alerts/rules/types.ts';
import { badParameter, CxError } from '../../infra/errors.ts';
import type { AlertGroupState } from '../wire.ts';

/**
 * What people do to alerts through the API: silence a rule until a time, acknowledge its current
 * episode, and pick the rules a filter matches. Each change is made like an evaluator's: read the state
 * of each group, change it, claim the change (`rule|group|seq`, so an evaluator stepping the same state
 * at the same moment cannot both win), then write it and record it in the history with who and why.
 */

const MAX_SILENCE_MS = 90 * 24 * 3600_000;
/** Claims lost to a concurrent evaluator are retried on the newer state this many times. */
const ATTEMPTS = 3;

/** A silence's body `{until, why}`: until a later ISO 8601 time (at most 90 days on), why given. */
export function silenceBody(body: Record<string, unknown>, now: Date): { until: Date; why: string } {
  const until = typeof body['until'] === 'string' ? new Date(body['until']) : null;
  if (until === null || Number.isNaN(until.getTime()) || !/[zZ]|[+-]\d\d:?\d\d$/.test(String(body['until'])))
    throw badParameter('until', 'must be an ISO 8601 time with its offset, e.g. 2025-03-01T18:00:00+08:00');
  if (until.getTime() <= now.getTime()) throw badParameter('until', 'must be later than now');
  if (until.getTime() - now.getTime() > MAX_SILENCE_MS) throw badParameter('until', 'must be within 90 days');
  return { until, why: whyOf(body) };
}

/** The reason of a silence or acknowledgement: 1–500 characters. */
export function whyOf(body: Record<string, unknown>): string {
  const why = typeof body['why'] === 'string' ? body['why'].trim() : '';
  if (why.length === 0 || why.length > 500) throw badParameter('why', 'must say why, in 1–500 characters');
  return why;
}

/** Keys a silence filter may hold besides dimensions. */
const RULE_KEYS = ['name', 'kind', 'metric', 'check'] as const;

/**
 * The rules a filter matches: `name`, `kind`, `metric`, `check` equal, and a dimension (e.g. `team_id`)
 * among the rule's filter values or its breakdown. Every key must match; an empty filter is refused.
 */
export function matching(rules: readonly AlertRule[], filter: unknown): AlertRule[] {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
    throw badParameter(
      'filter',
      'must be an object such as {"metric": "follow_up_within_48h"} or {"team_id": "t1"}',
    );
  const entries = Object.entries(filter as Record<string, unknown>);
  if (entries.length === 0)
    throw badParameter('filter', 'must name at least one of name, kind, metric, check or a dimension');
  for (const [k, v] of entries)
    if (typeof v !== 'string') throw badParameter(`filter.${k}`, 'must be a string');
  return rules.filter((r) =>
    entries.every(([k, v]) => {
      if ((RULE_KEYS as readonly string[]).includes(k))
        return (r as unknown as Record<string, unknown>)[k] === v;
      if (r.kind === 'pipeline') return false;
      const values = (r.filters as Record<string, string[] | undefined>)[k];
      return values?.includes(v as string) === true || r.by === k;
    }),
  );
}

export interface Change {
  what: 'silence' | 'ack';
  who: string;
  why: string;
  /** the new state, or null when there is nothing to change in this group */
  apply: (prev: AlertState) => AlertState | null;
}

/** Silence every group of a rule until a time. */
export const silencing = (who: string, until: Date, why: string): Change => ({
  what: 'silence',
  who,
  why,
  apply: (prev) => silence(prev, { until, by: who, why }),
});

/** Acknowledge the groups of a rule that are pending or firing. */
export const acknowledging = (who: string, why: string, now: Date): Change => ({
  what: 'ack',
  who,
  why,
  apply: (prev) => acknowledge(prev, { by: who, at: now, why }),
});

/**
 * Acknowledge a rule with a breakdown as a whole: kept on its group `''` (the evaluator steps every group
 * under it, `underRule`), it holds the firing notice and the reminders of every group pending or firing
 * while the rule's episode lasts — groups that start firing later included — and ends when no group is
 * pending or firing any more. Null (nothing to acknowledge) when no group is pending or firing now.
 */
export async function acknowledgeRule(
  store: AlertStore,
  rule: string,
  who: string,
  why: string,
  now: Date,
): Promise<string[]> {
  const live = (await store.list(rule)).some(
    (s) => s.group !== '' && (s.state.phase === 'pending' || s.state.phase === 'firing'),
  );
  if (!live) return [];
  const change: Change = {
    what: 'ack',
    who,
    why,
    apply: (prev) => ({ ...prev, ack: { by: who, at: now, why }, seq: prev.seq + 1 }),
  };
  return (await changeGroup(store, rule, '', change, now)) ? [''] : [];
}

/**
 * Apply a change to every group of a rule (the groups evaluated so far; a rule never evaluated has its
 * one group ''), or to the groups `only` names. Returns the groups changed.
 */
export async function applyChange(
  store: AlertStore,
  rule: string,
  change: Change,
  now: Date,
  only?: readonly string[],
): Promise<string[]> {
  const known = only ?? (await store.list(rule)).map((s) => s.group);
  const groups = known.length > 0 ? known : [''];
  const changed: string[] = [];
  for (const group of groups) if (await changeGroup(store, rule, group, change, now)) changed.push(group);
  return changed;
}

async function changeGroup(
  store: AlertStore,
  rule: string,
  group: string,
  c: Change,
  now: Date,
): Promise<boolean> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const prev = (await store.read(rule, group)) ?? initialState(now);
    const next = c.apply(prev);
    if (next === null) return false;
    if (!(await store.claim(rule, group, next.seq))) continue;
    await store.write(rule, group, next);
    await store.record([
      {
        rule,
        group,
        seq: next.seq,
        at: now,
        what: c.what,
        who: c.who,
        why: c.why,
        value: next.value,
        n: next.n,
      },
    ]);
    return true;
  }
  throw new CxError('conflict', `${rule}: the alert changed while it was being updated; try again`);
}

/** A stored state as the API shows it (a silence only while it lasts). */
export function stateInfo(group: string, s: AlertState, now: Date): AlertGroupState {
  return {
    group,
    phase: s.phase,
    since: s.since.toISOString(),
    value: s.value,
    n: s.n,
    evaluated_at: s.evaluatedAt?.toISOString() ?? null,
    ack: s.ack ? { by: s.ack.by, at: s.ack.at.toISOString(), why: s.ack.why } : null,
    silence:
      s.silence && s.silence.until.getTime() > now.getTime()
        ? { until: s.silence.until.toISOString(), by: s.silence.by, why: s.silence.why }
        : null,
  };
}
