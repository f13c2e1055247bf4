-- The process that serves a queued acquire (the hub, or a --no-hub client): while it runs on this
-- host its waiter is live whatever its silence (a paused hub's waiters were silent through no
-- fault of theirs). Null for rows queued before: they are judged by their silence only.
ALTER TABLE waiters ADD COLUMN served_by_host TEXT;
ALTER TABLE waiters ADD COLUMN served_by_pid INTEGER;
ALTER TABLE waiters ADD COLUMN served_by_started_at INTEGER;
