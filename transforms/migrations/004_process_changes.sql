-- Process-change annotations of the improvement teams (METRICS.md "Process-change impact"): when a
-- change started and which part of the service it touched, so its before/after impact can be computed.
--
-- Edits never update in place: each save inserts the whole row again with a higher `version`, and
-- ReplacingMergeTree keeps the highest version of an id once parts merge. Until then several versions
-- coexist, so read with `FINAL` (the table is tiny; FINAL costs nothing here).
--
-- `scope` is JSON text of dimension filters, e.g. {"team_id":["t2"]} ({} = the whole centre): it is
-- validated against the closed list of dimensions before it is written, and only ever parsed by the
-- application, so a plain String keeps it exact and portable across ClickHouse versions.

CREATE TABLE IF NOT EXISTS {{db}}.process_changes
(
    id          String,
    title       String,
    description String DEFAULT '',
    starts_at   DateTime64(3, 'UTC'),
    scope       String DEFAULT '{}',
    created_by  String,
    created_at  DateTime64(3, 'UTC'),
    -- who saved this version, and when
    updated_by  String,
    updated_at  DateTime64(3, 'UTC'),
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
