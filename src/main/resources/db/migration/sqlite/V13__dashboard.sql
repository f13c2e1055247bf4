-- The operator's dashboard logins: SHA-256 hashes of one-time links and of browser sessions,
-- never the secrets; each expires by the store's clock (epoch milliseconds).
CREATE TABLE dashboard_logins (
    hash        TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('LINK', 'SESSION')),
    expires_at  INTEGER NOT NULL
);
CREATE INDEX dashboard_logins_by_expiry ON dashboard_logins (expires_at);

-- The dashboard's pages of messages, newest first (the index holds the rowid, their insertion order).
CREATE INDEX messages_by_time ON messages (created_at);
