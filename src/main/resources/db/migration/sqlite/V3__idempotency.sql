-- Answers to writes sent with an Idempotency-Key, stored in the write's own transaction, so a
-- client retrying after a timeout gets the first answer instead of applying the write twice.
CREATE TABLE idempotency (
    caller     TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    request    TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_by_age ON idempotency (created_at);

-- Bearer tokens of the HTTP API name no agent: the agent is found by its token's hash.
CREATE INDEX agents_by_token ON agents (token_hash);
