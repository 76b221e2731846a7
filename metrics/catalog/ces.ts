import { SURVEY_DIMENSIONS, type MetricDefinition } from '../types.ts';

export const ces: MetricDefinition = {
  name: 'ces',
  title: 'Customer effort score (CES)',
  description: 'Average answer to "how easy was it" on the 1–7 scale (higher is easier).',
  formula: 'mean CES score (1–7)',
  unit: 'score',
  kind: 'mean',
  source: 'surveys',
  direction: 'higher',
  dimensions: SURVEY_DIMENSIONS,
  sql: { value: 'score', where: "survey = 'ces'" },
};
