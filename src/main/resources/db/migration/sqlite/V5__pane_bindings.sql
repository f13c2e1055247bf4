-- A pane binding names its tmux server (pane ids are per server and reused) and the process tmux
-- started in the pane, with its start time (a reused pid is another process). Rows from before
-- have no socket: their panes are never typed into until the agent registers again.
ALTER TABLE agents ADD COLUMN tmux_socket TEXT;
ALTER TABLE agents ADD COLUMN pane_pid INTEGER;
ALTER TABLE agents ADD COLUMN pane_pid_started_at INTEGER;
-- One live agent per pane of a server and host: the same pane id on two servers is two panes.
DROP INDEX agents_live_pane;
CREATE UNIQUE INDEX agents_live_pane ON agents (host, coalesce(tmux_socket, ''), pane) WHERE pane IS NOT NULL AND status <> 'gone';
