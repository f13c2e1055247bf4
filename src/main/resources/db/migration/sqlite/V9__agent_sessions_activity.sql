-- The client session an agent runs as (such as claude:SESSION-ID): a restarted client resumes it by it.
ALTER TABLE agents ADD COLUMN session TEXT;
-- What the agent is doing (working, idle, waiting-for-input, stalled; null: nobody told), since when,
-- and its latest sign of progress (a tool used, pane output).
ALTER TABLE agents ADD COLUMN activity TEXT CHECK (activity IN ('working', 'idle', 'waiting-for-input', 'stalled'));
ALTER TABLE agents ADD COLUMN activity_since INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN progress_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX agents_by_session ON agents (session) WHERE session IS NOT NULL;
-- The agents a pane had, newest first: who resumes when a client starts again in it.
CREATE INDEX agents_by_pane ON agents (host, tmux_socket, pane, status_since) WHERE pane IS NOT NULL;
