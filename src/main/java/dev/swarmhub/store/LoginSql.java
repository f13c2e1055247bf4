package dev.swarmhub.store;

import dev.swarmhub.logins.LoginStore;

/** The dashboard's login rows in portable SQL. */
final class LoginSql implements LoginStore {

    private final JdbcTx tx;

    LoginSql(JdbcTx tx) {
        this.tx = tx;
    }

    @Override
    public void insert(String hash, Kind kind, long expiresAt, String scope) {
        tx.update("INSERT INTO dashboard_logins (hash, kind, expires_at, scope) VALUES (?, ?, ?, ?)", hash, kind.name(), expiresAt, scope);
    }

    @Override
    public boolean take(String hash, Kind kind, long now, String scope) {
        return tx.update("DELETE FROM dashboard_logins WHERE hash = ? AND kind = ? AND expires_at > ? AND scope = ?", hash, kind.name(), now,
                scope) == 1;
    }

    @Override
    public boolean holds(String hash, Kind kind, long now, String scope) {
        return !tx.query("SELECT 1 FROM dashboard_logins WHERE hash = ? AND kind = ? AND expires_at > ? AND scope = ?", row -> 1, hash,
                kind.name(), now, scope).isEmpty();
    }

    @Override
    public int deleteAll(Kind kind, String scope) {
        return tx.update("DELETE FROM dashboard_logins WHERE kind = ? AND scope = ?", kind.name(), scope);
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
