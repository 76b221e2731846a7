import type { MetricDefinition } from '../types.ts';

export const reopenRate: MetricDefinition = {
  name: 'reopen_rate',
  title: 'Reopen rate',
  description: 'Share of interactions reopened at least once.',
  formula: 'share of interactions with a reopened event',
  unit: 'percent',
  kind: 'rate',
  source: 'interactions',
  direction: 'lower',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  sql: { numerator: 'reopened', denominator: '1' },
};
