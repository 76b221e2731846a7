import type { MetricDefinition } from '../types.ts';

export const complaintRate: MetricDefinition = {
  name: 'complaint_rate',
  title: 'Complaint rate',
  description:
    'Share of all interactions that are complaints. The standards ask for 40 % fewer complaints than in a baseline period.',
  formula: 'category = complaint ÷ all interactions; also per 1,000 active customers',
  unit: 'percent',
  kind: 'rate',
  source: 'interactions',
  direction: 'lower',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  target: { value: -40, basis: 'relative_to_baseline', source: '001' },
  sql: { numerator: "category = 'complaint'", denominator: '1' },
};
