import type { MetricDefinition } from '../types.ts';

export const complaints: MetricDefinition = {
  name: 'complaints',
  title: 'Complaints',
  description: 'Number of complaints, by severity (general, major, crisis) when grouped by severity.',
  formula: 'count of complaints, by severity',
  unit: 'count',
  kind: 'count',
  source: 'interactions',
  direction: 'lower',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  target: { value: -40, basis: 'relative_to_baseline', source: '001' },
  sql: { where: "category = 'complaint'" },
};
