import { describe, expect, it } from 'vitest';
import { getMetric } from '../../../metrics/catalog.ts';
import {
  deriveInteractionFacts,
  deriveSurveyFacts,
  INTERACTION_KPI_COLUMNS,
  SURVEY_KPI_COLUMNS,
} from '../../../metrics/query/facts.ts';
import { groupingSets, rollupSetFor, setMask } from '../../../metrics/query/rollup-sets.ts';
import { DIMENSIONS } from '../../../metrics/types.ts';

/** The attribution's SQL (docs/metrics.md "Attribution") and the survey rollups it opens. */

const squash = (sql: string) => sql.replace(/\s+/g, ' ');

describe('attribution in the fact SQL', () => {
  it('an interaction: the last resolver, else the first responder, else the opener; the team after transfers', () => {
    const sql = squash(deriveInteractionFacts('cx'));
    expect(sql).toContain(
      "multiIf(resolved_agent_id != '', resolved_agent_id, first_response_agent_id != '', first_response_agent_id, opened_agent_id) AS agent_id",
    );
    expect(sql).toContain(
      "multiIf(last_to_team_id != '', last_to_team_id, opened_team_id != '', opened_team_id, first_response_team_id) AS team_id",
    );
    expect(sql).toContain('argMaxMerge(resolved_agent_id)');
    expect(sql).toContain('argMinMerge(first_response_agent_id)');
    expect(INTERACTION_KPI_COLUMNS).toEqual(expect.arrayContaining(['opened_team_id', 'opened_agent_id']));
  });

  it('a survey answer joins its interaction, its channel first, and keeps the customer attributes', () => {
    const sql = squash(deriveSurveyFacts('cx'));
    expect(sql).toContain("if(s.channel != '', s.channel, i.channel) AS channel");
    expect(sql).toContain('ON i.interaction_id = s.interaction_id');
    expect(sql).toContain('c.segment AS segment, c.region AS region');
    expect([...SURVEY_KPI_COLUMNS]).toEqual(expect.arrayContaining([...DIMENSIONS, 'interaction_id']));
  });

  it('a subset merges only the interactions its answers name, the subset bracketed', () => {
    const sql = squash(deriveSurveyFacts('cx', { customers: 'SELECT 1', surveys: 'SELECT 2' }));
    expect(sql).toContain(
      "WHERE interaction_id IN (SELECT interaction_id FROM cx.survey_events WHERE (customer_id IN (SELECT 1) OR event_id IN (SELECT 2)) AND interaction_id != '')",
    );
  });
});

describe('survey rollups', () => {
  it('hold every dimension alone, every pair (agent × another too), and channel × segment × region', () => {
    const sets = groupingSets('surveys').map(setMask);
    for (const d of DIMENSIONS) expect(sets).toContain(setMask([d]));
    expect(sets).toContain(setMask(['team_id', 'category']));
    expect(sets).toContain(setMask(['channel', 'segment', 'region']));
    expect(sets).toContain(setMask(['agent_id', 'team_id']));
    expect(sets).not.toContain(setMask(['agent_id', 'team_id', 'channel']));
  });
  it('answer csat by agent and nps by team within a category', () => {
    expect(rollupSetFor(getMetric('csat'), ['agent_id'])).toBe(setMask(['agent_id']));
    expect(rollupSetFor(getMetric('nps'), ['team_id', 'category'])).toBe(setMask(['team_id', 'category']));
    expect(rollupSetFor(getMetric('csat'), ['agent_id', 'team_id'])).toBe(setMask(['agent_id', 'team_id']));
    expect(rollupSetFor(getMetric('csat'), ['agent_id', 'team_id', 'channel'])).toBeNull();
  });
});
