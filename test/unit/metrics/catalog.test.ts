import { describe, expect, it } from 'vitest';
import { CATALOG, getMetric, validateCatalog } from '../../../metrics/catalog.ts';
import type { MetricDefinition } from '../../../metrics/types.ts';

/** Every KPI named in docs/metrics.md's catalog table. */
const METRICS_MD = [
  'csat',
  'csat_mean',
  'nps',
  'ces',
  'fcr',
  'first_response_time',
  'sla_compliance',
  'resolution_time',
  'resolved_on_time',
  'answer_rate',
  'abandonment_rate',
  'complaint_rate',
  'complaints',
  'follow_up_48h',
  'reopen_rate',
  'escalation_rate',
  'transfer_rate',
  'churn_rate',
  'retention_rate',
  'interactions',
];

describe('KPI catalog', () => {
  it('is valid as a set', () => {
    expect(validateCatalog()).toEqual([]);
  });

  it('holds exactly the KPIs of docs/metrics.md', () => {
    expect(CATALOG.map((m) => m.name).sort()).toEqual([...METRICS_MD].sort());
  });

  it('carries the default targets of the service standards', () => {
    expect(getMetric('csat').target).toMatchObject({ value: 90, basis: 'absolute' });
    expect(getMetric('nps').target).toMatchObject({ value: 35, basis: 'relative_to_baseline' });
    expect(getMetric('complaints').target).toMatchObject({ value: -40, basis: 'relative_to_baseline' });
    expect(getMetric('fcr').target).toMatchObject({ value: 90 });
    expect(getMetric('answer_rate').target).toMatchObject({ value: 80 });
    expect(getMetric('churn_rate').target).toMatchObject({ value: 5 });
  });

  it('names an unknown metric and lists the known ones', () => {
    expect(() => getMetric('happiness')).toThrow(/no metric named "happiness"; the catalog has csat, /);
  });

  it('finds the problems it is meant to find', () => {
    const rate = getMetric('reopen_rate');
    const bad: MetricDefinition[] = [
      rate,
      { ...rate },
      { ...rate, name: 'Bad-Name' },
      { ...rate, name: 'no_parts', sql: {} },
      { ...rate, name: 'orphan', complementOf: 'missing' },
      { ...getMetric('churn_rate'), name: 'customers_by_team', dimensions: ['team_id'] },
      { ...rate, name: 'c1', complementOf: 'c2' },
      { ...rate, name: 'c2', complementOf: 'c1' },
    ];
    const problems = validateCatalog(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        'reopen_rate: defined twice',
        'Bad-Name: name must be snake_case',
        'no_parts: a rate metric needs sql.numerator',
        'orphan: complementOf missing is not in the catalog',
        'customers_by_team: customers have no dimension team_id',
        'c1: complementOf c2, which is itself a complement',
      ]),
    );
  });
});
