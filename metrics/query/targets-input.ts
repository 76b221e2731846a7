import { z } from 'zod';
import { badParameter } from '../../infra/errors.ts';
import { CATALOG } from '../catalog.ts';
import { CLAUSES } from '../standards/clauses.ts';
import type { BaselinePeriod, TargetSpec } from '../targets/types.ts';
import { DIMENSIONS, type MetricDefinition } from '../types.ts';

/**
 * What an admin saves with `PUT /api/v1/targets`, and its validation: the whole target set, the
 * baseline period, the version it edits and a comment. Every problem is a `bad_parameter` naming the
 * field (`targets[3].months`). Pure; metrics/answer/targets-store.ts stores the sets.
 */

export interface SaveTargetsInput {
  /** The version the admin edited: a later version stored meanwhile makes the save a conflict. */
  if_version: number;
  targets: TargetSpec[];
  /** The baseline period of relative targets; null = the configured default; absent = unchanged. */
  baseline?: BaselinePeriod | null;
  comment: string;
}

export const MAX_TARGETS = 500;
const COMMENT_MAX = 500;
/** A relative target is a change in %: a fall of more than 100 % cannot happen. */
const RELATIVE_MIN = -100;
const RELATIVE_MAX = 1000;
/** A clause id in the style of docs/metrics.md's table; such an id must be one the table has. */
const CLAUSE_ID_RE = /^S\d{3}-\d+$/;
const CLAUSE_IDS = new Set(CLAUSES.map((c) => c.id));
const BY_NAME = new Map(CATALOG.map((m) => [m.name, m]));

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((d) => new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d, 'is not a calendar date');

const baselineSchema = z
  .strictObject({ from: day, to: day })
  .refine((b) => b.from <= b.to, { message: 'from must not be after to', path: ['to'] });

const scopeSchema = z
  .partialRecord(
    z.enum(DIMENSIONS),
    z.array(z.string().trim().min(1).max(100)).min(1, 'must list at least one value').max(50),
  )
  .refine((s) => Object.keys(s).length > 0, 'must name at least one dimension; leave it out for all');

const targetSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/, 'must be 1–100 letters, digits or . _ : -'),
  metric: z.string().refine((m) => BY_NAME.has(m), 'is not a KPI of the catalog (GET /api/v1/metrics)'),
  kind: z.enum(['absolute', 'relative', 'sustained']),
  value: z.number().finite(),
  months: z.number().int().min(1).max(24).optional(),
  per: z.enum(DIMENSIONS).optional(),
  scope: scopeSchema.optional(),
  clause: z
    .string()
    .trim()
    .min(1)
    .max(80)
    .refine((c) => !CLAUSE_ID_RE.test(c) || CLAUSE_IDS.has(c), 'is not a clause of docs/metrics.md'),
  source: z.string().trim().max(200).default(''),
});

const inputSchema = z.strictObject({
  if_version: z.number().int().min(1),
  targets: z.array(targetSchema).max(MAX_TARGETS),
  baseline: baselineSchema.nullable().optional(),
  comment: z.string().trim().max(COMMENT_MAX).default(''),
});

/** `targets[3].months` from zod's path. */
function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || 'body';
}

/** The value range of a bar in the KPI's unit, or of a relative change in %. */
function valueProblem(t: TargetSpec, m: MetricDefinition): string | null {
  const range = (lo: number, hi: number, what: string) =>
    t.value < lo || t.value > hi ? `must be within ${lo} and ${hi} (${what})` : null;
  if (t.kind === 'relative') {
    if (t.value === 0) return 'a relative target must ask for a change (not 0 %)';
    return range(RELATIVE_MIN, RELATIVE_MAX, 'a change from the baseline in %');
  }
  if (m.unit === 'percent') return range(0, 100, 'percent');
  if (m.unit === 'points') return range(-100, 100, 'NPS points');
  return t.value < 0 ? `must not be negative (${m.unit})` : null;
}

/** The checks across fields: the kind's own fields, the value's range, unique ids. */
function targetProblems(targets: readonly TargetSpec[]): { field: string; message: string } | null {
  const seen = new Set<string>();
  for (const [i, t] of targets.entries()) {
    const at = (f: string) => `targets[${i}].${f}`;
    const m = BY_NAME.get(t.metric) as MetricDefinition;
    if (seen.has(t.id)) return { field: at('id'), message: `${t.id} is used twice; ids must be unique` };
    seen.add(t.id);
    if (t.kind === 'sustained') {
      if (t.months === undefined)
        return { field: at('months'), message: 'a sustained target needs months (1–24)' };
      if (t.per === undefined)
        return { field: at('per'), message: 'a sustained target needs per (the dimension judged)' };
    } else if (t.months !== undefined) {
      return { field: at('months'), message: 'only a sustained target has months' };
    }
    const problem = valueProblem(t, m);
    if (problem) return { field: at('value'), message: problem };
  }
  return null;
}

/** The checked input, or a `bad_parameter` naming the first field at fault. */
export function validateTargetsInput(body: unknown): SaveTargetsInput {
  const parsed = inputSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = [...(issue?.path ?? [])];
    // an unknown key is named itself: `targets[0].scope.foo`, not its object
    if (issue?.code === 'unrecognized_keys') {
      path.push(issue.keys[0] ?? '');
      const inScope = path.includes('scope');
      throw badParameter(
        fieldName(path),
        inScope ? `is not a dimension; use ${DIMENSIONS.join(', ')}` : 'is not a field here',
      );
    }
    throw badParameter(fieldName(path), issue?.message ?? 'is not valid');
  }
  const targets = parsed.data.targets.map((t): TargetSpec => ({
    id: t.id,
    metric: t.metric,
    kind: t.kind,
    value: t.value,
    ...(t.months !== undefined ? { months: t.months } : {}),
    ...(t.per !== undefined ? { per: t.per } : {}),
    ...(t.scope !== undefined ? { scope: t.scope } : {}),
    clause: t.clause,
    source: t.source,
  }));
  const problem = targetProblems(targets);
  if (problem) throw badParameter(problem.field, problem.message);
  const { if_version, baseline, comment } = parsed.data;
  return { if_version, targets, comment, ...(baseline !== undefined ? { baseline } : {}) };
}
