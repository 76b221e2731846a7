-- Quantiles from the daily rollups: per row of a quantile metric (first_response_time,
-- resolution_time) a fine logarithmic histogram of the durations, bucket keys and counts sorted by key
-- (metrics/query/histogram.ts: p50 and p90 within 1 % of the exact value at the same rank), summed over
-- days and groups with sumMap. Empty for the other metrics. Filled by the next refresh (the rollups'
-- format changed, so it rebuilds them whole).
ALTER TABLE {{db}}.kpi_daily
    ADD COLUMN IF NOT EXISTS qk Array(Int32) AFTER det,
    ADD COLUMN IF NOT EXISTS qc Array(UInt64) AFTER qk;

-- v_kpi_daily: a quantile KPI's day row shows its median from the histogram (the key at rank
-- ⌊0.5 · n⌋ decoded as in metrics/query/histogram.ts `bucketValue`: γ = 1.01 / 0.99, keys offset by
-- 100,000), within 1 % of the exact median; numerator ÷ n is its exact mean. Before, such rows did not
-- exist. The other kinds are as in 006_analyst.sql.
CREATE OR REPLACE VIEW {{db}}.v_kpi_daily AS
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
            c.kind = 'nps', (d.pro - d.det) / d.n * 100,
            c.kind = 'quantile',
            if(d.qk[arrayFirstIndex(cum -> cum > floor(0.5 * d.n), arrayCumSum(d.qc))] AS k50 = 0, 0,
               sign(k50) * 2 * pow(1.01 / 0.99, abs(k50) - 100000) / (1.01 / 0.99 + 1)),
            d.x) AS value,
    d.x AS numerator, d.n AS n, d.pro AS promoters, d.det AS detractors
FROM {{db}}.kpi_daily AS d
LEFT JOIN (SELECT * FROM {{db}}.metric_catalog FINAL) AS c ON c.name = d.metric;
