import type { MetricDefinition } from '../types.ts';

export const resolvedOnTime: MetricDefinition = {
  name: 'resolved_on_time',
  title: 'Feedback handled on time (resolved on time)',
  description:
    'The standards’ “feedback handled on time”: share of resolved interactions resolved within their resolution target (configurable; by default 24 h).',
  formula: 'resolved within the resolution target ÷ resolved',
  unit: 'percent',
  kind: 'rate',
  source: 'interactions',
  direction: 'higher',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  target: { value: 95, basis: 'absolute', source: '000 (feedback handled on time)' },
  sql: { numerator: 'resolved AND resolved_in_target', denominator: 'resolved' },
};
