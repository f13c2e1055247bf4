-- Every dashboard login belongs to one hub (its host and project checkout): hubs sharing a store
-- neither accept nor end each other's. Rows from before belong to no hub: they end.
ALTER TABLE dashboard_logins ADD COLUMN scope TEXT NOT NULL DEFAULT '';
