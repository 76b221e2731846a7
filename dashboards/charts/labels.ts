import { translator, type Translator } from '../../i18n/translator.ts';
import { UNIT_LABEL, unitLabel } from './format.ts';

/**
 * The reader's words on a chart: axis, legend and tooltip titles from the `charts` namespace, a
 * dimension's name, a unit, and the stored values of a dimension as a person reads them — drawn from a
 * `<field>_label` added to each row, so the raw value stays in the datum for drill-down.
 */

/** The caller's translator, English when none was given. */
export const reader = (tr?: Translator): Translator => tr ?? translator('en');

/** The field holding the shown label of a dimension's value. */
export const labelField = (field: string): string => `${field}_label`;

/** A dimension's name as an axis or legend title (`vocabulary:dimension.team_id` → Team / 团队). */
export function dimensionTitle(field: string, tr: Translator): string {
  const key = `vocabulary:dimension.${field}`;
  return tr.has(key) ? tr.t(key) : field.replace('_id', '');
}

/**
 * A unit title: callers pass a catalog unit (`seconds`) or its English symbol (`%`, `points`, `s`);
 * either is written in the reader's language. Anything else stays as given.
 */
export function unitTitle(unit: string, tr: Translator): string {
  if (unit in UNIT_LABEL) return unitLabel(unit, tr);
  const name = Object.keys(UNIT_LABEL).find((k) => UNIT_LABEL[k] === unit);
  return name ? unitLabel(name, tr) : unit;
}

/** Rows with `<field>_label` added for each dimension field: the value as the reader reads it. */
export function withLabels<R extends Record<string, unknown>>(
  rows: readonly R[],
  fields: readonly string[],
  tr: Translator,
): (R & Record<string, unknown>)[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = { ...r };
    for (const f of fields) out[labelField(f)] = tr.label(f, r[f]);
    return out as R & Record<string, unknown>;
  });
}
