import type { MetricDefinition } from '../types.ts';

export const abandonmentRate: MetricDefinition = {
  name: 'abandonment_rate',
  title: 'Phone abandonment rate',
  description: 'Share of phone calls offered that the caller abandoned before an answer: 100 − answer rate.',
  formula: '100 − answer_rate (phone)',
  unit: 'percent',
  kind: 'rate',
  source: 'interactions',
  direction: 'lower',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  target: { value: 20, basis: 'absolute', source: '004 (answer rate ≥ 80 %)' },
  complementOf: 'answer_rate',
  sql: {
    numerator: "channel = 'phone' AND abandoned AND NOT responded",
    denominator: "channel = 'phone' AND (responded OR abandoned)",
  },
};
