-- Targets managed in the product (docs/metrics.md "Kinds of target"; docs/api.md `/api/v1/targets`).
--
-- `target_sets`: every saved version of the whole target set, never updated in place. The current set
-- is the highest version; with none stored, the configuration's default targets are version 1, so the
-- first edit saves version 2. `targets` is the JSON list of TargetSpec (metrics/targets/types.ts),
-- validated before it is written and only ever parsed by the application; `baseline` is the JSON
-- {from, to} of the relative targets' baseline period, or '' for the configured default.
CREATE TABLE IF NOT EXISTS {{db}}.target_sets
(
    version     UInt64,
    targets     String,
    baseline    String DEFAULT '',
    changed_by  String,
    changed_at  DateTime64(3, 'UTC'),
    comment     String DEFAULT ''
)
ENGINE = MergeTree
ORDER BY version;

-- `metric_definitions`: the definition versions of each KPI. A row is written when a KPI is first
-- seen ('initial'), when its catalog definition (kind, unit, source, direction, formula, SQL) differs
-- at start-up from the last fingerprint recorded ('definition'), when an edit changes its targets
-- ('targets') or the baseline its relative targets use ('baseline'). A KPI's definition version is its
-- number of rows; every row but the first is a date the charts and reports mark.
CREATE TABLE IF NOT EXISTS {{db}}.metric_definitions
(
    metric          LowCardinality(String),
    at              DateTime64(3, 'UTC'),
    what            LowCardinality(String),
    fingerprint     String,
    targets_version UInt64,
    changed_by      String
)
ENGINE = MergeTree
ORDER BY (metric, at);
