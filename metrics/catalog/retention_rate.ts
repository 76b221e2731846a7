import { CUSTOMER_DIMENSIONS, type MetricDefinition } from '../types.ts';

export const retentionRate: MetricDefinition = {
  name: 'retention_rate',
  title: 'Retention rate',
  description:
    'Share of the customers active at the start of the period who did not churn during it: 100 − churn rate.',
  formula: '100 − churn_rate',
  unit: 'percent',
  kind: 'rate',
  source: 'customers',
  direction: 'higher',
  dimensions: CUSTOMER_DIMENSIONS,
  target: { value: 95, basis: 'absolute', source: '004 (churn ≤ 5 %)' },
  complementOf: 'churn_rate',
  sql: { numerator: 'NOT churned_in_period', denominator: 'active_at_start' },
};
