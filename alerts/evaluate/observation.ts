import type { TargetStatus } from '../../metrics/targets/types.ts';
import type { Dimension, Unit } from '../../metrics/types.ts';
import type { Condition, Observation } from '../state/machine.ts';

/**
 * What one evaluation of a rule saw for one group (the whole rule when it has no breakdown): the value
 * with n, its interval, the target and status when a KPI has them, and whether the rule's condition
 * holds (`unknown` when n is below the rule's `min_n` or there was nothing to measure). Pure helpers.
 */
export interface GroupObservation {
  /** the state's key: '' without a breakdown, else `team_id=t2` */
  group: string;
  /** the breakdown's dimension and value, for the message (`团队 华东二组`) */
  member: { dimension: Dimension; value: string } | null;
  obs: Observation;
  ci: readonly [number, number] | null;
  target: number | null;
  status: TargetStatus | null;
  unit: Unit;
}

export const groupKey = (by: Dimension | undefined, value: unknown): string =>
  by === undefined ? '' : `${by}=${String(value ?? '')}`;

/** A count checked against "more than `above`". */
export function countObservation(
  group: string,
  member: GroupObservation['member'],
  count: number,
  above: number,
  unit: Unit = 'count',
): GroupObservation {
  return {
    group,
    member,
    obs: { value: count, n: count, condition: count > above },
    ci: null,
    target: above,
    status: null,
    unit,
  };
}

/** A pipeline fact: true, false, or unknown when it could not be measured. */
export function factObservation(
  value: number | null,
  condition: Condition,
  target: number | null,
  unit: Unit = 'count',
): GroupObservation {
  return {
    group: '',
    member: null,
    obs: { value, n: null, condition: value === null && condition !== true ? 'unknown' : condition },
    ci: null,
    target,
    status: null,
    unit,
  };
}

/**
 * A group the store knows for a rule (pending, firing or resolved) that this evaluation did not see: a
 * count (service check) is 0 (`value: 0`); a KPI or anomaly group has no data in the window
 * (`value: null`): no service, so no standard missed. Either way the condition is false: it resolves
 * after `for`, and the message says "0" or "no data".
 */
export function vanishedObservation(
  group: string,
  value: 0 | null,
  target: number | null,
  unit: Unit,
): GroupObservation {
  const at = group.indexOf('=');
  const member = at > 0 ? { dimension: group.slice(0, at) as Dimension, value: group.slice(at + 1) } : null;
  return { group, member, obs: { value, n: 0, condition: false }, ci: null, target, status: null, unit };
}
