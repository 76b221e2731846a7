-- Alert rules edited in the product (alerts/rules/store.ts; docs/api.md `/api/v1/alerts`).
--
-- `alert_rule_versions`: every saved version of the whole rules document (`channels:` and `alerts:` of
-- alerts.yaml, as JSON), never updated in place. The current rules are the highest version; with none
-- stored, the rules file (ALERTS_FILE) is version 1, so the first edit saves version 2. `document` is
-- validated with the file's own checks before it is written and only ever parsed by the application.
CREATE TABLE IF NOT EXISTS {{db}}.alert_rule_versions
(
    version     UInt64,
    document    String,
    changed_by  String,
    changed_at  DateTime64(3, 'UTC'),
    comment     String DEFAULT ''
)
ENGINE = MergeTree
ORDER BY version;
