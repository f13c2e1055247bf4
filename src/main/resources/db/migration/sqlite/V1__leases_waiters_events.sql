-- Counters that only ever grow (the fencing token).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('fencing_token', 0);

-- One row per (agent, resource). anchor: the literal prefix used to find overlap candidates.
-- Times are store-clock epoch milliseconds.
CREATE TABLE leases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    resource    TEXT    NOT NULL,
    anchor      TEXT    NOT NULL,
    mode        TEXT    NOT NULL CHECK (mode IN ('exclusive', 'shared')),
    agent       TEXT    NOT NULL,
    token       INTEGER NOT NULL UNIQUE,
    reason      TEXT    NOT NULL DEFAULT '',
    acquired_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    UNIQUE (agent, resource)
);
CREATE INDEX leases_by_anchor ON leases (anchor);
CREATE INDEX leases_by_expiry ON leases (expires_at);

-- Queued acquires, served in id order per resource.
CREATE TABLE waiters (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    agent    TEXT    NOT NULL,
    mode     TEXT    NOT NULL CHECK (mode IN ('exclusive', 'shared')),
    since    INTEGER NOT NULL,
    seen_at  INTEGER NOT NULL,
    deadline INTEGER NOT NULL
);
CREATE TABLE waiter_claims (
    waiter_id INTEGER NOT NULL REFERENCES waiters (id),
    resource  TEXT    NOT NULL,
    anchor    TEXT    NOT NULL
);
CREATE INDEX waiter_claims_by_anchor ON waiter_claims (anchor);
CREATE INDEX waiter_claims_by_waiter ON waiter_claims (waiter_id);

CREATE TABLE events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    agent    TEXT,
    resource TEXT,
    details  TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_agent ON events (agent, id);
CREATE INDEX events_by_kind ON events (kind, id);
