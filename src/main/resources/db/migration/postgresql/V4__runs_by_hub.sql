-- Every run belongs to the hub it was spawned through (its scope: host and project checkout): only
-- that hub starts, watches and stops it, so its SWARM_ROOT and output file are its checkout's.
-- Rows from before have none: any hub of their host, the first to start or adopt one takes it.
ALTER TABLE processes ADD COLUMN hub_scope TEXT COLLATE "C";
