package dev.swarmhub.logins;

import dev.swarmhub.kernel.Tx;

/** The dashboard's login rows in a transaction ({@link Tx#part}): hashes of one-time links and of sessions, with their expiry. */
public interface LoginStore {

    enum Kind {
        LINK, SESSION
    }

    static LoginStore in(Tx tx) {
        return tx.part(LoginStore.class);
    }

    void insert(String hash, Kind kind, long expiresAt);

    /** Deletes the row if it is of the kind and expires after {@code now}; whether it did. */
    boolean take(String hash, Kind kind, long now);

    /** Whether a row of the kind with the hash expires after {@code now}. */
    boolean holds(String hash, Kind kind, long now);

    /** Deletes every row of the kind; how many. */
    int deleteAll(Kind kind);

    /** Whether any row, of either kind, has expired at {@code now}. */
    boolean anyExpired(long now);

    /** Deletes the rows of the kind expired at {@code now}; how many. */
    int deleteExpired(Kind kind, long now);
}
