import type { MetricDefinition } from '../types.ts';

export const answerRate: MetricDefinition = {
  name: 'answer_rate',
  title: 'Phone answer rate',
  description:
    'Share of phone calls offered that were answered (got a first response) rather than abandoned.',
  formula: 'phone interactions answered ÷ phone interactions offered (answered + abandoned)',
  unit: 'percent',
  kind: 'rate',
  source: 'interactions',
  direction: 'higher',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  target: { value: 80, basis: 'absolute', source: '004' },
  sql: {
    numerator: "channel = 'phone' AND responded AND NOT abandoned",
    denominator: "channel = 'phone' AND (responded OR abandoned)",
  },
};
