package dev.swarmhub.kernel;

/** A failure the caller can act on; {@link Kind} decides the CLI exit code and later the HTTP status. */
public class SwarmException extends RuntimeException {

    public enum Kind {
        /** Malformed or out-of-range input; nothing was changed. */
        BAD_INPUT("bad_input", 2),
        /** Valid request refused by the current state: a conflict, not the holder, a wait timed out. */
        DENIED("denied", 3),
        /** Missing or wrong token, or a token of another agent: nothing was looked at or changed. */
        UNAUTHENTICATED("unauthenticated", 4),
        /** The store or the machine failed. */
        INTERNAL("internal", 1),
        /** A resource is held by someone else for longer than the wait (the database's write lock): retry later. */
        UNAVAILABLE("unavailable", 1);

        public final String code;
        public final int exitCode;

        Kind(String code, int exitCode) {
            this.code = code;
            this.exitCode = exitCode;
        }
    }

    private final Kind kind;

    public SwarmException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public SwarmException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The error's code in JSON answers: its kind's, unless a subclass is more precise. */
    public String code() {
        return kind.code;
    }

    public static SwarmException badInput(String message) {
        return new SwarmException(Kind.BAD_INPUT, message);
    }

    public static SwarmException denied(String message) {
        return new SwarmException(Kind.DENIED, message);
    }

    public static SwarmException unauthenticated(String message) {
        return new SwarmException(Kind.UNAUTHENTICATED, message);
    }
}
