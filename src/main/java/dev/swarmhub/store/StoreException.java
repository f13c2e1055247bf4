package dev.swarmhub.store;

import dev.swarmhub.kernel.SwarmException;

/** The database failed (I/O, corruption, a full disk); see {@link StoreBusyException} for a lock held too long. */
public class StoreException extends SwarmException {

    public StoreException(String message, Throwable cause) {
        this(Kind.INTERNAL, message, cause);
    }

    StoreException(Kind kind, String message, Throwable cause) {
        super(kind, message + (cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : ""), cause);
    }
}
