-- Processes the hub supervises (swarm spawn): one row per run. A run is its agent's process: the
-- agent is registered by the spawn, and the run's final state (exited, killed, lost) is written
-- once, by the one update that moves it out of starting or running.
CREATE TABLE processes (
    id             TEXT    PRIMARY KEY,
    agent          TEXT    NOT NULL,
    name           TEXT    NOT NULL DEFAULT '',
    kind           TEXT    NOT NULL CHECK (kind IN ('claude', 'codex', 'command')),
    task           TEXT,
    parent         TEXT,
    depth          INTEGER NOT NULL CHECK (depth >= 1),
    state          TEXT    NOT NULL CHECK (state IN ('queued', 'starting', 'running', 'exited', 'killed', 'lost')),
    host           TEXT    NOT NULL,
    command        TEXT    NOT NULL,
    environment    TEXT    NOT NULL DEFAULT '{}',
    cwd            TEXT    NOT NULL,
    worktree       INTEGER NOT NULL DEFAULT 0,
    tmux           INTEGER NOT NULL DEFAULT 0,
    max_cost_usd   REAL,
    pid            INTEGER,
    pid_started_at INTEGER,
    pane           TEXT,
    queued_at      INTEGER NOT NULL,
    started_at     INTEGER,
    ended_at       INTEGER,
    exit_code      INTEGER,
    end_reason     TEXT,
    stop_at        INTEGER,
    stop_signal    TEXT,
    stop_grace_ms  INTEGER,
    stop_by        TEXT,
    stop_reason    TEXT,
    output_bytes   INTEGER NOT NULL DEFAULT 0,
    output_at      INTEGER,
    input_tokens   INTEGER,
    output_tokens  INTEGER,
    cost_usd       REAL,
    outcome        TEXT,
    last_step      TEXT
);
-- The queue (FIFO by queued_at, then insertion order) and what runs now, per host.
CREATE INDEX processes_by_state ON processes (state, host, queued_at);
CREATE INDEX processes_by_agent ON processes (agent, queued_at);
CREATE INDEX processes_by_task ON processes (task) WHERE task IS NOT NULL;
CREATE INDEX processes_by_parent ON processes (parent) WHERE parent IS NOT NULL;
