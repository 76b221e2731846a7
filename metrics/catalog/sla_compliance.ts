import type { MetricDefinition } from '../types.ts';

export const slaCompliance: MetricDefinition = {
  name: 'sla_compliance',
  title: 'First-response SLA compliance',
  description:
    'Share of interactions answered within their first-response target (the strictest of the channel, complaint and priority targets). Interactions still inside their target are pending and not counted; abandoned calls count in the answer rate instead.',
  formula:
    'interactions whose first response came within their target ÷ (interactions with a first response + interactions still without one after their target has passed); abandoned calls left out',
  unit: 'percent',
  kind: 'rate',
  source: 'interactions',
  direction: 'higher',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  target: { value: 95, basis: 'absolute', source: '000 (feedback handled on time)' },
  sql: {
    numerator: 'NOT abandoned AND responded_in_target',
    denominator: 'NOT abandoned AND (responded OR target_passed)',
  },
};
