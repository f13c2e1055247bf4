-- Messages between agents. id: time-ordered (ULID-like), so ids sort by sending time.
-- thread: the id of the thread's first message. signature: HMAC-SHA256 (hex) of the canonical
-- fields with the project's .swarm/secret, checked on every read.
CREATE TABLE messages (
    id           TEXT    PRIMARY KEY,
    sender       TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    priority     TEXT    NOT NULL CHECK (priority IN ('normal', 'urgent')),
    thread       TEXT    NOT NULL,
    reply_to     TEXT,
    text         TEXT    NOT NULL,
    ack_required INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    signature    TEXT    NOT NULL
);
CREATE INDEX messages_by_sender ON messages (sender, created_at);
CREATE INDEX messages_by_thread ON messages (thread, id);

-- One row per recipient: stored -> delivered -> read -> acked, each with its store time.
-- attempts: deliveries so far (retries keep the id); next_retry_at: when an unacked message is
-- delivered again (null: no ack needed, or acked); escalated: its one escalation was sent.
-- pane: the last typing into the recipient's tmux pane ('pending', 'delivered' or 'failed: why').
CREATE TABLE message_recipients (
    message_id    TEXT    NOT NULL REFERENCES messages (id),
    recipient     TEXT    NOT NULL,
    stored_at     INTEGER NOT NULL,
    delivered_at  INTEGER,
    read_at       INTEGER,
    acked_at      INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 1,
    next_retry_at INTEGER,
    escalated     INTEGER NOT NULL DEFAULT 0,
    pane          TEXT,
    PRIMARY KEY (message_id, recipient)
);
CREATE INDEX message_recipients_inbox ON message_recipients (recipient, message_id);
CREATE INDEX message_recipients_due ON message_recipients (next_retry_at) WHERE next_retry_at IS NOT NULL;
CREATE INDEX message_recipients_pane ON message_recipients (pane) WHERE pane = 'pending';

-- Full-text search over message texts (SQLite FTS5).
CREATE VIRTUAL TABLE messages_fts USING fts5 (id UNINDEXED, text, tokenize = 'unicode61');
