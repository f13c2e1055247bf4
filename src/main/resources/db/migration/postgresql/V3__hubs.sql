-- The hubs serving this store, one per host and checkout (scope), each writing seen_at (store
-- time) every second: a hub that is seen vouches for its host's agents (it checks their
-- processes); once silent, other hubs judge that host's agents by their silence.
CREATE TABLE hubs (
    scope   TEXT COLLATE "C" PRIMARY KEY,
    host    TEXT COLLATE "C" NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE INDEX hubs_by_host ON hubs (host, seen_at);
