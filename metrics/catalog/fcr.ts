import type { MetricDefinition } from '../types.ts';

export const fcr: MetricDefinition = {
  name: 'fcr',
  title: 'First-contact resolution (FCR)',
  description:
    'Share of resolved interactions solved at the first contact: never reopened, transferred or escalated, and the customer did not come back about the same category within 7 days of the resolution.',
  formula:
    'resolved interactions never reopened, transferred or escalated, and not followed by another interaction of the same customer in the same category within 7 days (configurable) of resolution ÷ resolved interactions',
  unit: 'percent',
  kind: 'rate',
  source: 'interactions',
  direction: 'higher',
  dimensions: ['channel', 'category', 'priority', 'severity', 'team_id', 'agent_id', 'segment', 'region'],
  target: { value: 90, basis: 'absolute', source: '004 (common issues)' },
  sql: { numerator: 'resolved AND first_contact_resolved', denominator: 'resolved' },
};
