-- What analysts read and what is recorded about it.
--
-- The documented views (README, "For analysts") sit on the stored KPI facts and daily rollups, so an
-- analyst's numbers are the dashboards' numbers; they are as current as the last rollup refresh
-- (rollup_state.complete_through). Facts that depend on the instant (a response target passed
-- unanswered) are judged when the view is read.

-- The KPI catalog as the refresh job last wrote it (metrics/catalog/): kind and unit give a rollup row
-- its value.
CREATE TABLE IF NOT EXISTS {{db}}.metric_catalog
(
    name       String,
    title      String,
    unit       LowCardinality(String),
    kind       LowCardinality(String),
    source     LowCardinality(String),
    direction  LowCardinality(String),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY name;

-- Every analyst query, refused or not.
CREATE TABLE IF NOT EXISTS {{db}}.sql_audit
(
    at          DateTime64(3, 'UTC') DEFAULT now64(3),
    caller      String,
    role        LowCardinality(String),
    sql         String,
    format      LowCardinality(String),
    outcome     LowCardinality(String),
    duration_ms UInt64,
    rows        UInt64,
    bytes       UInt64,
    error       String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY at;

CREATE VIEW IF NOT EXISTS {{db}}.v_interactions AS
SELECT
    day, interaction_id, customer_id, opened_at,
    channel, category, priority, severity, team_id, agent_id, segment, region,
    responded, abandoned, first_response_seconds, target_seconds, responded_in_target,
    NOT responded AND dateDiff('millisecond', opened_at, now64(3)) / 1000 > target_seconds AS target_passed,
    resolved, resolution_hours, resolved_in_target,
    reopened, transferred, escalated, followed_up_in_48h, first_contact_resolved
FROM {{db}}.interaction_kpi FINAL;

CREATE VIEW IF NOT EXISTS {{db}}.v_surveys AS
SELECT day, event_id, customer_id, at AS answered_at, survey, score, channel, segment, region
FROM {{db}}.survey_kpi FINAL;

CREATE VIEW IF NOT EXISTS {{db}}.v_customers AS
SELECT customer_id, segment, region, since, first_churned_at
FROM {{db}}.customer_kpi FINAL;

-- grouped_by names the grouping set of the row (the dimensions outside it are ''); value follows the
-- KPI's kind: rate = numerator ÷ n × 100, mean = sum ÷ n, NPS = (promoters − detractors) ÷ n × 100,
-- count = the count.
CREATE VIEW IF NOT EXISTS {{db}}.v_kpi_daily AS
SELECT
    d.day AS day, d.metric AS metric, c.title AS title, c.unit AS unit, c.kind AS kind,
    arrayFilter(x -> x != '', [
        if(bitTest(d.gs, 0), 'channel', ''), if(bitTest(d.gs, 1), 'category', ''),
        if(bitTest(d.gs, 2), 'priority', ''), if(bitTest(d.gs, 3), 'severity', ''),
        if(bitTest(d.gs, 4), 'team_id', ''), if(bitTest(d.gs, 5), 'agent_id', ''),
        if(bitTest(d.gs, 6), 'segment', ''), if(bitTest(d.gs, 7), 'region', '')]) AS grouped_by,
    d.channel AS channel, d.category AS category, d.priority AS priority, d.severity AS severity,
    d.team_id AS team_id, d.agent_id AS agent_id, d.segment AS segment, d.region AS region,
    multiIf(c.kind = 'rate', d.x / d.n * 100, c.kind = 'mean', d.x / d.n,
            c.kind = 'nps', (d.pro - d.det) / d.n * 100, d.x) AS value,
    d.x AS numerator, d.n AS n, d.pro AS promoters, d.det AS detractors
FROM {{db}}.kpi_daily AS d
LEFT JOIN (SELECT * FROM {{db}}.metric_catalog FINAL) AS c ON c.name = d.metric;
