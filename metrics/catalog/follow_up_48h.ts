import type { MetricDefinition } from '../types.ts';

export const followUp48H: MetricDefinition = {
  name: 'follow_up_48h',
  title: 'Complaint follow-up within 48 h',
  description:
    'Closed loop: share of resolved complaints where the customer was contacted again within 48 hours of the resolution to confirm satisfaction.',
  formula: 'resolved complaints with a followed_up within 48 h of resolution ÷ resolved complaints',
  unit: 'percent',
  kind: 'rate',
  source: 'interactions',
  direction: 'higher',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  target: { value: 100, basis: 'absolute', source: '001' },
  sql: {
    numerator: "category = 'complaint' AND resolved AND followed_up_in_48h",
    denominator: "category = 'complaint' AND resolved",
  },
};
