import { CUSTOMER_DIMENSIONS, type MetricDefinition } from '../types.ts';

export const churnRate: MetricDefinition = {
  name: 'churn_rate',
  title: 'Churn rate',
  description: 'Share of the customers active at the start of the period who churned during it.',
  formula: 'customers with a customer.churned in the period ÷ customers active at its start',
  unit: 'percent',
  kind: 'rate',
  source: 'customers',
  direction: 'lower',
  dimensions: CUSTOMER_DIMENSIONS,
  target: { value: 5, basis: 'absolute', source: '004' },
  sql: { numerator: 'churned_in_period', denominator: 'active_at_start' },
};
