import type { MetricDefinition } from '../types.ts';

export const escalationRate: MetricDefinition = {
  name: 'escalation_rate',
  title: 'Escalation rate',
  description: 'Share of interactions escalated at least once.',
  formula: 'share of interactions with an escalated event',
  unit: 'percent',
  kind: 'rate',
  source: 'interactions',
  direction: 'lower',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  sql: { numerator: 'escalated', denominator: '1' },
};
