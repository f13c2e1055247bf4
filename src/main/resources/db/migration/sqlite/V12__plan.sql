-- The coordination document: ordered sections, each with its own version (one more at each
-- change). id is time-ordered and stays through renames: its events' resource is 'doc:<id>'
-- (the document's own events: 'doc:'). Names are unique; lookups ignoring case are the domain's.
CREATE TABLE plan_sections (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    position    INTEGER NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    text        TEXT    NOT NULL,
    changed_at  INTEGER NOT NULL,
    changed_by  TEXT    NOT NULL
);

-- One row once the document's first sections were made: its revision, one more at each
-- transaction that changes it (the hub writes the file when it differs from what it wrote).
CREATE TABLE plan (
    only_row  INTEGER PRIMARY KEY CHECK (only_row = 1),
    revision  INTEGER NOT NULL
);

-- The document's history: its events, newest first, and a section's.
CREATE INDEX events_of_doc ON events (id) WHERE resource >= 'doc:' AND resource < 'doc;';
CREATE INDEX events_by_doc_section ON events (resource, id) WHERE resource >= 'doc:' AND resource < 'doc;';
