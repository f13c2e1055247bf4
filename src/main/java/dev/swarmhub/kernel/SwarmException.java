package dev.swarmhub.kernel;

import java.io.IOException;
import java.nio.file.FileSystemException;

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
        /** Not now: the database's write lock held longer than the wait, a wait cut short by the hub stopping or the client leaving. Retry later. */
        UNAVAILABLE("unavailable", 1);

        public final String code;
        public final int exitCode;

        Kind(String code, int exitCode) {
            this.code = code;
            this.exitCode = exitCode;
        }
    }

    /**
     * What a refused caller did not give: the domain says what is wrong, each adapter how its
     * transport gives it (the CLI: an option or environment variable; HTTP: a header).
     */
    public enum Missing {
        /** No agent named. */
        AGENT,
        /** An agent named without its token. */
        TOKEN,
        /** The agent named is not registered (or was discovered and not claimed). */
        REGISTRATION
    }

    private final Kind kind;
    private final Missing missing;

    public SwarmException(Kind kind, String message) {
        this(kind, message, (Missing) null);
    }

    public SwarmException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.missing = null;
    }

    private SwarmException(Kind kind, String message, Missing missing) {
        super(message);
        this.kind = kind;
        this.missing = missing;
    }

    public Kind kind() {
        return kind;
    }

    /** What the caller did not give, when that is why this was refused; null otherwise. */
    public Missing missing() {
        return missing;
    }

    /** This refusal in a transport's words: its message followed by how to give what was missing (the same kind and code). */
    public SwarmException withHint(String hint) {
        return new SwarmException(kind, getMessage() + ": " + hint, this);
    }

    /** The error's code in JSON answers: its kind's, unless a subclass is more precise. */
    public String code() {
        return kind.code;
    }

    /**
     * A failed file operation ("cannot {@code step}: ..."): a full disk in plain words, as a condition
     * to retry after (saying what {@code leftAsItWas}), not a fault of the hub.
     */
    public static SwarmException ofFileFailure(String step, String leftAsItWas, IOException e) {
        String reason = e instanceof FileSystemException named && named.getReason() != null ? named.getReason() : e.getMessage();
        if (reason != null && reason.contains("No space left on device")) {
            return new SwarmException(Kind.UNAVAILABLE, "cannot " + step + ": the disk is full; " + leftAsItWas + ". Free space and retry", e);
        }
        return new SwarmException(Kind.INTERNAL, "cannot " + step + ": " + reason, e);
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

    /** The caller is refused for lack of {@code missing}; the adapter adds how its transport gives it. */
    public static SwarmException unauthenticated(String message, Missing missing) {
        return new SwarmException(Kind.UNAUTHENTICATED, message, missing);
    }
}
