import type { MetricDefinition } from '../types.ts';

export const transferRate: MetricDefinition = {
  name: 'transfer_rate',
  title: 'Transfer rate',
  description: 'Share of interactions transferred to another team at least once.',
  formula: 'share of interactions with a transferred event',
  unit: 'percent',
  kind: 'rate',
  source: 'interactions',
  direction: 'lower',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  sql: { numerator: 'transferred', denominator: '1' },
};
