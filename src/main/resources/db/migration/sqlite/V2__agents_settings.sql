-- Registered agents. token_hash: SHA-256 of the agent's token (null: discovered, not yet claimed).
CREATE TABLE agents (
    id             TEXT    PRIMARY KEY,
    kind           TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('active', 'stale', 'gone')),
    label          TEXT    NOT NULL DEFAULT '',
    pane           TEXT,
    pid            INTEGER,
    pid_started_at INTEGER,
    host           TEXT    NOT NULL,
    token_hash     TEXT,
    registered_at  INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    status_since   INTEGER NOT NULL
);
-- One live agent per tmux pane and host: concurrent discovers cannot both register a pane.
CREATE UNIQUE INDEX agents_live_pane ON agents (host, pane) WHERE pane IS NOT NULL AND status <> 'gone';
CREATE INDEX agents_by_last_seen ON agents (status, last_seen);

-- Project-wide settings shared by every process (for example agents.stale-after).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
