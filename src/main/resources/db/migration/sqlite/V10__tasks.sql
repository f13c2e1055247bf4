-- A lease kept while its holder is active (a task's claim): each call of the holder extends it to
-- now + renew_ms. Null: renewed only when asked.
ALTER TABLE leases ADD COLUMN renew_ms INTEGER;

-- The shared work queue. id: time-ordered (ULID-like). status is stored as open, in-progress,
-- done, failed or cancelled; "blocked" (open with a blocker not done) is derived, never stored.
-- An in-progress task is claimed by assignee with the lease on 'task:<id>' whose fencing token is
-- claim_token; without that live lease the claim has lapsed and the task is open again.
CREATE TABLE tasks (
    id            TEXT    PRIMARY KEY,
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL CHECK (status IN ('open', 'in-progress', 'done', 'failed', 'cancelled')),
    priority      INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 4),
    parent        TEXT    REFERENCES tasks (id),
    creator       TEXT    NOT NULL,
    assignee      TEXT,
    claim_token   INTEGER,
    progress      INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    note          TEXT    NOT NULL DEFAULT '',
    external_ref  TEXT    UNIQUE,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    closed_at     INTEGER
);
CREATE INDEX tasks_by_status ON tasks (status, priority, created_at);
CREATE INDEX tasks_by_parent ON tasks (parent) WHERE parent IS NOT NULL;
CREATE INDEX tasks_by_assignee ON tasks (assignee) WHERE assignee IS NOT NULL;

CREATE TABLE task_labels (
    task  TEXT NOT NULL REFERENCES tasks (id),
    label TEXT NOT NULL,
    PRIMARY KEY (task, label)
);
CREATE INDEX task_labels_by_label ON task_labels (label, task);

-- blocks: from_task must be done before to_task can start. related: informational.
CREATE TABLE task_links (
    from_task TEXT NOT NULL REFERENCES tasks (id),
    to_task   TEXT NOT NULL REFERENCES tasks (id),
    kind      TEXT NOT NULL CHECK (kind IN ('blocks', 'related')),
    PRIMARY KEY (from_task, to_task, kind)
);
CREATE INDEX task_links_to ON task_links (to_task, kind);

-- A task's history: the events on its resource ('task:<id>'), its claim's lease events included.
CREATE INDEX events_by_task ON events (resource, id) WHERE resource >= 'task:' AND resource < 'task;';
