package dev.swarmhub.plan;

import dev.swarmhub.kernel.SwarmException;

/** A set given the version its writer read, refused because another change came first: the section as it is now. */
public final class VersionConflictException extends SwarmException {

    private final transient Section current;

    public VersionConflictException(Section current, long expected) {
        super(Kind.DENIED, "section '" + current.name() + "' is at version " + current.version() + ", not " + expected
                + ": it changed since you read it; read it again and make your change to that");
        this.current = current;
    }

    public Section current() {
        return current;
    }

    @Override
    public String code() {
        return "version_conflict";
    }
}
