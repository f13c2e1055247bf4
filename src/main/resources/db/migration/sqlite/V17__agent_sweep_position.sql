-- Where the agents' liveness sweep goes on: each sweep checks a batch of agents' processes, in turn
-- by id, after this one (empty: from the first). Kept in the store so that the position moves only
-- with a committed sweep, and every process (hubs, commands without one) goes on from it.
CREATE TABLE agent_sweep (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    after_id TEXT NOT NULL
);
INSERT INTO agent_sweep (only_row, after_id) VALUES (1, '');
