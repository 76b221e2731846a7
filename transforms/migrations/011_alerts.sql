-- Alerts (alerts/state/): the state of each alert, its history, and the claims that make every change
-- happen once however many evaluators run.
--
-- `alert_states`: one row per write; the state of a rule × group is its row with the highest `seq`
-- (then the latest `written_at`). `seq` advances on every change that must happen once (a phase
-- change, a notice, an acknowledgement or silence); rows at the same `seq` differ only by the last
-- observed value. `group_key` is '' for a rule without a breakdown.
CREATE TABLE IF NOT EXISTS {{db}}.alert_states
(
    rule              String,
    group_key         String,
    seq               UInt64,
    phase             LowCardinality(String),
    since             DateTime64(3, 'UTC'),
    value             Nullable(Float64),
    n                 Nullable(UInt64),
    evaluated_at      Nullable(DateTime64(3, 'UTC')),
    notified_firing   UInt8,
    last_notice       LowCardinality(String),
    last_notified_at  Nullable(DateTime64(3, 'UTC')),
    ack_by            String,
    ack_at            Nullable(DateTime64(3, 'UTC')),
    ack_why           String,
    silence_until     Nullable(DateTime64(3, 'UTC')),
    silence_by        String,
    silence_why       String,
    written_at        DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(written_at)
ORDER BY (rule, group_key, seq);

-- `alert_events`: the history, append-only: transitions (`what` = 'transition', from → to), notices
-- held back by a silence or acknowledgement ('suppressed'), acknowledgements and silences ('ack',
-- 'silence', with who and why), and deliveries ('delivery': channel, result, detail, attempt).
CREATE TABLE IF NOT EXISTS {{db}}.alert_events
(
    rule        String,
    group_key   String,
    seq         UInt64,
    at          DateTime64(3, 'UTC'),
    what        LowCardinality(String),
    from_phase  LowCardinality(String),
    to_phase    LowCardinality(String),
    notice      LowCardinality(String),
    value       Nullable(Float64),
    n           Nullable(UInt64),
    channel     String,
    result      LowCardinality(String),
    detail      String,
    attempt     UInt16,
    who         String,
    why         String,
    recorded_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = MergeTree
ORDER BY (rule, group_key, at, recorded_at);

-- `alert_claims`: like report_claims, keyed by `rule|group|seq`: every evaluator that would make a
-- change inserts a claim, waits for the others' to become visible, and acts only when its claim is the
-- earliest (server time, then owner).
CREATE TABLE IF NOT EXISTS {{db}}.alert_claims
(
    claim_key   String,
    rule        String,
    group_key   String,
    seq         UInt64,
    owner       String,
    claimed_at  DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = MergeTree
ORDER BY (claim_key, claimed_at, owner);
