-- Signed-out browser sessions. A session cookie is stateless (HMAC-signed, with a random session id);
-- signing out records its id here so the cookie is refused even when replayed, by every server and
-- after a restart. A row is useless once the cookie it revokes has expired: the TTL drops it.

CREATE TABLE IF NOT EXISTS {{db}}.revoked_sessions
(
    session_id  String,
    expires_at  DateTime('UTC'),
    revoked_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY session_id
TTL expires_at + INTERVAL 1 DAY;
