import type { Config } from '../../infra/config.ts';
import { catalogWithTargets } from '../catalog.ts';
import type { MetricDefinition } from '../types.ts';
import { CLAUSE_TARGETS } from '../standards/clauses.ts';
import type { TargetSpec } from './types.ts';

/**
 * The default list of targets: every clause's target (metrics/standards/clauses.ts), then each KPI's
 * headline target of the catalog that no clause already states, with the `METRIC_TARGETS` overrides
 * (an override is the KPI's absolute headline target, id `<metric>:headline`). Evaluations take the
 * list as an argument, so an edited list can stand in for this one.
 */

/** The clause of a headline target that is not a clause of the standards. */
export const HEADLINE = 'headline';

export function defaultTargets(cfg: Pick<Config, 'targets'>): TargetSpec[] {
  const out: TargetSpec[] = [...CLAUSE_TARGETS];
  for (const m of catalogWithTargets(cfg.targets)) {
    if (!m.target) continue;
    const kind = m.target.basis === 'absolute' ? 'absolute' : 'relative';
    // an override is always the KPI's own headline; a default only when no clause states it already
    const override = cfg.targets[m.name] !== undefined;
    const stated =
      !override &&
      out.some(
        (t) => t.metric === m.name && t.kind === kind && t.value === m.target?.value && !t.scope && !t.per,
      );
    if (stated) continue;
    out.push({
      id: `${m.name}:${HEADLINE}`,
      metric: m.name,
      kind,
      value: m.target.value,
      clause: HEADLINE,
      source: m.target.source,
    });
  }
  return out;
}

const whole = (t: TargetSpec) => !t.scope && !t.per;

/**
 * A KPI's headline target among `targets`: its own (`<metric>:headline`, an override) when there is one,
 * else the first clause target of that kind over the whole centre. `csat` → 90 (S000-2).
 */
export function headlineTarget(
  targets: readonly TargetSpec[],
  metric: string,
  kind: TargetSpec['kind'],
): TargetSpec | undefined {
  const own = targets.find((t) => t.metric === metric && t.clause === HEADLINE && t.kind === kind);
  return own ?? targets.find((t) => t.metric === metric && t.kind === kind && whole(t));
}

/**
 * The catalog with each KPI's headline target taken from `targets` (the set in force, which admins may
 * have edited): its absolute headline when it has one, else its relative one, else none.
 */
export function withHeadlines(
  catalog: readonly MetricDefinition[],
  targets: readonly TargetSpec[],
): MetricDefinition[] {
  return catalog.map((m) => {
    const abs = headlineTarget(targets, m.name, 'absolute');
    const rel = abs ? undefined : headlineTarget(targets, m.name, 'relative');
    const t = abs ?? rel;
    const { target: _old, ...rest } = m;
    if (!t) return rest;
    return {
      ...rest,
      target: { value: t.value, basis: abs ? 'absolute' : 'relative_to_baseline', source: t.source },
    };
  });
}
