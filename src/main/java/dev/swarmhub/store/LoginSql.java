package dev.swarmhub.store;

import dev.swarmhub.logins.LoginStore;

/** The dashboard's login rows in portable SQL. */
final class LoginSql implements LoginStore {

    private final JdbcTx tx;

    LoginSql(JdbcTx tx) {
        this.tx = tx;
    }

    @Override
    public void insert(String hash, Kind kind, long expiresAt) {
        tx.update("INSERT INTO dashboard_logins (hash, kind, expires_at) VALUES (?, ?, ?)", hash, kind.name(), expiresAt);
    }

    @Override
    public boolean take(String hash, Kind kind, long now) {
        return tx.update("DELETE FROM dashboard_logins WHERE hash = ? AND kind = ? AND expires_at > ?", hash, kind.name(), now) == 1;
    }

    @Override
    public boolean holds(String hash, Kind kind, long now) {
        return !tx.query("SELECT 1 FROM dashboard_logins WHERE hash = ? AND kind = ? AND expires_at > ?", row -> 1, hash, kind.name(), now)
                .isEmpty();
    }

    @Override
    public int deleteAll(Kind kind) {
        return tx.update("DELETE FROM dashboard_logins WHERE kind = ?", kind.name());
    }

    @Override
    public boolean anyExpired(long now) {
        return !tx.query("SELECT 1 FROM dashboard_logins WHERE expires_at <= ? LIMIT 1", row -> 1, now).isEmpty();
    }

    @Override
    public int deleteExpired(Kind kind, long now) {
        return tx.update("DELETE FROM dashboard_logins WHERE kind = ? AND expires_at <= ?", kind.name(), now);
    }
}
