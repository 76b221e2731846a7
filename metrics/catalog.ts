import { CxError } from '../infra/errors.ts';
import { CATALOG } from './catalog/index.ts';
import {
  CUSTOMER_DIMENSIONS,
  DIMENSIONS,
  SURVEY_DIMENSIONS,
  type Dimension,
  type MetricDefinition,
  type MetricSource,
} from './types.ts';

export { CATALOG };

/** Dimensions each source can be grouped by. */
export const SOURCE_DIMENSIONS: Record<MetricSource, readonly Dimension[]> = {
  interactions: DIMENSIONS,
  surveys: SURVEY_DIMENSIONS,
  customers: CUSTOMER_DIMENSIONS,
};

/**
 * Check the catalog as a set: unique snake_case names, the SQL parts each kind needs, dimensions the
 * source has, complements that resolve (to a rate of the same source, without cycles). Returns the
 * problems found; an empty list means valid.
 */
export function validateCatalog(catalog: readonly MetricDefinition[] = CATALOG): string[] {
  const problems: string[] = [];
  const byName = new Map<string, MetricDefinition>();
  for (const m of catalog) {
    if (!/^[a-z][a-z0-9_]*$/.test(m.name)) problems.push(`${m.name}: name must be snake_case`);
    if (byName.has(m.name)) problems.push(`${m.name}: defined twice`);
    byName.set(m.name, m);
    if (!m.title || !m.description || !m.formula)
      problems.push(`${m.name}: title, description and formula are required`);
    const need: Record<MetricDefinition['kind'], (keyof MetricDefinition['sql'])[]> = {
      rate: ['numerator', 'denominator'],
      mean: ['value', 'where'],
      nps: ['value', 'where'],
      quantile: ['value', 'where'],
      count: ['where'],
    };
    for (const part of need[m.kind])
      if (!m.sql[part]) problems.push(`${m.name}: a ${m.kind} metric needs sql.${part}`);
    if ((m.kind === 'rate') !== (m.unit === 'percent'))
      problems.push(`${m.name}: rates are in percent, and only rates`);
    const allowed = SOURCE_DIMENSIONS[m.source];
    for (const d of m.dimensions)
      if (!allowed.includes(d)) problems.push(`${m.name}: ${m.source} have no dimension ${d}`);
    if (
      m.target &&
      m.target.basis === 'absolute' &&
      m.unit === 'percent' &&
      (m.target.value < 0 || m.target.value > 100)
    ) {
      problems.push(`${m.name}: a percent target must be within 0–100`);
    }
  }
  for (const m of catalog) {
    if (!m.complementOf) continue;
    const other = byName.get(m.complementOf);
    if (!other) problems.push(`${m.name}: complementOf ${m.complementOf} is not in the catalog`);
    else if (other.kind !== 'rate' || other.source !== m.source || m.kind !== 'rate') {
      problems.push(`${m.name}: complementOf must name a rate of the same source`);
    } else if (other.complementOf)
      problems.push(`${m.name}: complementOf ${other.name}, which is itself a complement`);
  }
  return problems;
}

export function getMetric(name: string): MetricDefinition {
  const m = CATALOG.find((x) => x.name === name);
  if (!m) {
    throw new CxError(
      'not_found',
      `no metric named ${JSON.stringify(name)}; the catalog has ${CATALOG.map((x) => x.name).join(', ')}`,
    );
  }
  return m;
}

/**
 * The catalog with the configured target overrides (`METRIC_TARGETS`) applied: an override is the KPI's
 * absolute headline target (`{"nps": 40}` judges NPS against 40 points, whatever the default's basis).
 * Unknown names fail at start.
 */
export function catalogWithTargets(overrides: Record<string, number>): MetricDefinition[] {
  for (const name of Object.keys(overrides)) {
    if (!CATALOG.some((m) => m.name === name)) {
      throw new CxError('config_invalid', `METRIC_TARGETS.${name}: no metric named ${name}`);
    }
  }
  return CATALOG.map((m) => {
    const value = overrides[m.name];
    if (value === undefined) return m;
    return { ...m, target: { value, basis: 'absolute', source: 'configuration' } };
  });
}
