-- Attribution (docs/metrics.md "Attribution"): who and which team an interaction belongs to, and its
-- survey answers with it.
--
-- interaction_facts gains what the rule needs, each an aggregate that duplicates and order cannot
-- change (the latest or earliest by (occurred_at, event_id)): the agent of the last resolution that
-- names one, of the first first response that names one, the team of the first response, and the last
-- team an interaction was transferred or escalated to. The facts read them merged
-- (metrics/query/facts.ts) and derive `agent_id` and `team_id`; the opening agent and team stay as
-- they were (`agent_id`, `team_id` of interaction_facts) and become `opened_agent_id`, `opened_team_id`
-- of interaction_kpi. survey_kpi gains the dimensions a survey takes from its interaction.

ALTER TABLE {{db}}.interaction_facts
    ADD COLUMN IF NOT EXISTS resolved_agent_id AggregateFunction(argMax, String, Tuple(DateTime64(3, 'UTC'), String)),
    ADD COLUMN IF NOT EXISTS first_response_agent_id AggregateFunction(argMin, String, Tuple(DateTime64(3, 'UTC'), String)),
    ADD COLUMN IF NOT EXISTS first_response_team_id AggregateFunction(argMin, String, Tuple(DateTime64(3, 'UTC'), String)),
    ADD COLUMN IF NOT EXISTS last_to_team_id AggregateFunction(argMax, String, Tuple(DateTime64(3, 'UTC'), String));

-- The view is replaced by one that also writes the new columns. Between the two statements an insert
-- may be aggregated twice or not at all; the backfill below (every interaction again, which no
-- aggregate here minds) makes up for both.
DROP VIEW IF EXISTS {{db}}.interaction_facts_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.interaction_facts_mv TO {{db}}.interaction_facts AS
SELECT
    e.interaction_id AS interaction_id,
    maxIf(e.customer_id, e.type = 'interaction.opened')                      AS customer_id,
    maxIf(e.channel, e.type = 'interaction.opened')                          AS channel,
    maxIf(e.category, e.type = 'interaction.opened')                         AS category,
    maxIf(e.priority, e.type = 'interaction.opened')                         AS priority,
    maxIf(e.severity, e.type = 'interaction.opened')                         AS severity,
    maxIf(e.team_id, e.type = 'interaction.opened')                          AS team_id,
    maxIf(e.agent_id, e.type = 'interaction.opened')                         AS agent_id,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.opened')          AS opened_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.first_response')  AS first_response_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.resolved')        AS first_resolved_at,
    maxIf(toNullable(e.occurred_at), e.type = 'interaction.resolved')        AS last_resolved_at,
    maxIf(toNullable(e.occurred_at), e.type = 'interaction.reopened')        AS last_reopened_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.followed_up')     AS first_followed_up_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.abandoned')       AS abandoned_at,
    maxIf(e.wait_seconds, e.type = 'interaction.abandoned')                  AS abandon_wait_seconds,
    toUInt8(countIf(e.type = 'interaction.transferred') > 0)               AS transferred,
    toUInt8(countIf(e.type = 'interaction.escalated') > 0)                 AS escalated,
    maxIf(e.severity, e.type = 'interaction.escalated')                      AS escalated_severity,
    uniqExactIfState(e.event_id, e.type = 'interaction.reopened')            AS reopens,
    uniqExactState(e.event_id)                                             AS events,
    max(e.occurred_at)                                                     AS last_event_at,
    argMaxStateIf(e.agent_id, (e.occurred_at, e.event_id),
                  e.type = 'interaction.resolved' AND e.agent_id != '')      AS resolved_agent_id,
    argMinStateIf(e.agent_id, (e.occurred_at, e.event_id),
                  e.type = 'interaction.first_response' AND e.agent_id != '') AS first_response_agent_id,
    argMinStateIf(CAST(e.team_id AS String), (e.occurred_at, e.event_id),
                  e.type = 'interaction.first_response' AND e.team_id != '') AS first_response_team_id,
    argMaxStateIf(CAST(e.to_team_id AS String), (e.occurred_at, e.event_id),
                  e.type IN ('interaction.transferred', 'interaction.escalated') AND e.to_team_id != '') AS last_to_team_id
FROM {{db}}.interaction_events AS e
GROUP BY interaction_id;

INSERT INTO {{db}}.interaction_facts
SELECT
    e.interaction_id AS interaction_id,
    maxIf(e.customer_id, e.type = 'interaction.opened')                      AS customer_id,
    maxIf(e.channel, e.type = 'interaction.opened')                          AS channel,
    maxIf(e.category, e.type = 'interaction.opened')                         AS category,
    maxIf(e.priority, e.type = 'interaction.opened')                         AS priority,
    maxIf(e.severity, e.type = 'interaction.opened')                         AS severity,
    maxIf(e.team_id, e.type = 'interaction.opened')                          AS team_id,
    maxIf(e.agent_id, e.type = 'interaction.opened')                         AS agent_id,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.opened')          AS opened_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.first_response')  AS first_response_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.resolved')        AS first_resolved_at,
    maxIf(toNullable(e.occurred_at), e.type = 'interaction.resolved')        AS last_resolved_at,
    maxIf(toNullable(e.occurred_at), e.type = 'interaction.reopened')        AS last_reopened_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.followed_up')     AS first_followed_up_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.abandoned')       AS abandoned_at,
    maxIf(e.wait_seconds, e.type = 'interaction.abandoned')                  AS abandon_wait_seconds,
    toUInt8(countIf(e.type = 'interaction.transferred') > 0)               AS transferred,
    toUInt8(countIf(e.type = 'interaction.escalated') > 0)                 AS escalated,
    maxIf(e.severity, e.type = 'interaction.escalated')                      AS escalated_severity,
    uniqExactIfState(e.event_id, e.type = 'interaction.reopened')            AS reopens,
    uniqExactState(e.event_id)                                             AS events,
    max(e.occurred_at)                                                     AS last_event_at,
    argMaxStateIf(e.agent_id, (e.occurred_at, e.event_id),
                  e.type = 'interaction.resolved' AND e.agent_id != '')      AS resolved_agent_id,
    argMinStateIf(e.agent_id, (e.occurred_at, e.event_id),
                  e.type = 'interaction.first_response' AND e.agent_id != '') AS first_response_agent_id,
    argMinStateIf(CAST(e.team_id AS String), (e.occurred_at, e.event_id),
                  e.type = 'interaction.first_response' AND e.team_id != '') AS first_response_team_id,
    argMaxStateIf(CAST(e.to_team_id AS String), (e.occurred_at, e.event_id),
                  e.type IN ('interaction.transferred', 'interaction.escalated') AND e.to_team_id != '') AS last_to_team_id
FROM {{db}}.interaction_events AS e
GROUP BY interaction_id;

-- The stored facts: the opening agent and team next to the attributed ones; a survey's interaction and
-- the dimensions it takes from it.
ALTER TABLE {{db}}.interaction_kpi
    ADD COLUMN IF NOT EXISTS opened_team_id LowCardinality(String) AFTER region,
    ADD COLUMN IF NOT EXISTS opened_agent_id LowCardinality(String) AFTER opened_team_id;

ALTER TABLE {{db}}.survey_kpi
    ADD COLUMN IF NOT EXISTS interaction_id String AFTER score,
    ADD COLUMN IF NOT EXISTS category LowCardinality(String) AFTER channel,
    ADD COLUMN IF NOT EXISTS priority LowCardinality(String) AFTER category,
    ADD COLUMN IF NOT EXISTS severity LowCardinality(String) AFTER priority,
    ADD COLUMN IF NOT EXISTS team_id LowCardinality(String) AFTER severity,
    ADD COLUMN IF NOT EXISTS agent_id LowCardinality(String) AFTER team_id;

-- The refresh looks up the answers of interactions with new events (transforms/facts/plan.ts).
ALTER TABLE {{db}}.survey_events ADD INDEX IF NOT EXISTS interaction_id_idx interaction_id TYPE bloom_filter GRANULARITY 1;
ALTER TABLE {{db}}.survey_events MATERIALIZE INDEX interaction_id_idx;

-- The analysts' views with the new columns.
CREATE OR REPLACE VIEW {{db}}.v_interactions AS
SELECT
    day, interaction_id, customer_id, opened_at,
    channel, category, priority, severity, team_id, agent_id, segment, region,
    opened_team_id, opened_agent_id,
    responded, abandoned, first_response_seconds, target_seconds, responded_in_target,
    NOT responded AND dateDiff('millisecond', opened_at, now64(3)) / 1000 > target_seconds AS target_passed,
    resolved, resolution_hours, resolved_in_target,
    reopened, transferred, escalated, followed_up_in_48h, first_contact_resolved
FROM {{db}}.interaction_kpi FINAL;

CREATE OR REPLACE VIEW {{db}}.v_surveys AS
SELECT day, event_id, customer_id, at AS answered_at, survey, score, interaction_id,
       channel, category, priority, severity, team_id, agent_id, segment, region
FROM {{db}}.survey_kpi FINAL;
