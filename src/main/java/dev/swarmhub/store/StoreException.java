package dev.swarmhub.store;

import dev.swarmhub.core.SwarmException;

/** The database failed (I/O, corruption, busy beyond the timeout). */
public final class StoreException extends SwarmException {

    public StoreException(String message, Throwable cause) {
        super(Kind.INTERNAL, message + (cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : ""), cause);
    }
}
