import type { MetricDefinition } from '../types.ts';

export const interactions: MetricDefinition = {
  name: 'interactions',
  title: 'Interactions',
  description: 'Number of interactions opened, by any dimension.',
  formula: 'count',
  unit: 'count',
  kind: 'count',
  source: 'interactions',
  direction: 'higher',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  sql: { where: '1' },
};
