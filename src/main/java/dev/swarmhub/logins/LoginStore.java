package dev.swarmhub.logins;

import dev.swarmhub.kernel.Tx;

/**
 * The dashboard's login rows in a transaction ({@link Tx#part}): hashes of one-time links and of
 * sessions, with their expiry and the hub (scope) they belong to.
 */
public interface LoginStore {

    enum Kind {
        LINK, SESSION
    }

    static LoginStore in(Tx tx) {
        return tx.part(LoginStore.class);
    }

    void insert(String hash, Kind kind, long expiresAt, String scope);

    /** Deletes the row if it is of the kind and the scope and expires after {@code now}; whether it did. */
    boolean take(String hash, Kind kind, long now, String scope);

    /** Whether a row of the kind and the scope with the hash expires after {@code now}. */
    boolean holds(String hash, Kind kind, long now, String scope);

    /** Deletes every row of the kind in the scope; how many. */
    int deleteAll(Kind kind, String scope);

    /** Whether any row, of either kind, has expired at {@code now}. */
    boolean anyExpired(long now);

    /** Deletes the rows of the kind expired at {@code now}; how many. */
    int deleteExpired(Kind kind, long now);
}
