-- Scheduled reports: who claimed each schedule slot, and what became of every run.
--
-- Both tables are append-only. A slot is identified by its run key (`report@slot`); every scheduler
-- that wants to run it inserts a claim, waits for the others' claims to become visible, and runs the
-- slot only when its claim is the earliest (server time, then owner). The run's life (running,
-- retrying, succeeded, failed) is recorded row by row in report_runs; the latest row of a run key is
-- its state.

CREATE TABLE IF NOT EXISTS {{db}}.report_claims
(
    run_key     String,
    report      String,
    slot        DateTime64(3, 'UTC'),
    owner       String,
    claimed_at  DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = MergeTree
ORDER BY (run_key, claimed_at, owner);

CREATE TABLE IF NOT EXISTS {{db}}.report_runs
(
    run_key      String,
    report       String,
    slot         DateTime64(3, 'UTC'),
    trigger      LowCardinality(String),
    owner        String,
    period_from  Date,
    period_to    Date,
    status       LowCardinality(String),
    attempt      UInt16,
    started_at   DateTime64(3, 'UTC'),
    duration_ms  UInt64,
    recipients   Array(String),
    deliveries   String,
    error        String,
    recorded_at  DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = MergeTree
ORDER BY (report, slot, run_key, recorded_at);

-- When each report (by name and schedule) was first seen by a scheduler: slots before that are not
-- "missed" and are never caught up.
CREATE TABLE IF NOT EXISTS {{db}}.report_schedules
(
    report      String,
    schedule    String,
    first_seen  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (report, schedule);
