-- The hubs serving this store, one per host and checkout (scope), each writing seen_at (store
-- time) every second: a hub that is seen vouches for its host's agents (it checks their
-- processes); once silent, other processes judge that host's agents by their silence.
CREATE TABLE hubs (
    scope   TEXT PRIMARY KEY,
    host    TEXT NOT NULL,
    seen_at INTEGER NOT NULL
);
CREATE INDEX hubs_by_host ON hubs (host, seen_at);
