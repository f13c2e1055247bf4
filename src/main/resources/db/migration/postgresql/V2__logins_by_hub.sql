-- Every dashboard login belongs to one hub (its host and project checkout): hubs sharing a store
-- neither accept nor end each other's.
ALTER TABLE dashboard_logins ADD COLUMN scope TEXT COLLATE "C" NOT NULL DEFAULT '';
