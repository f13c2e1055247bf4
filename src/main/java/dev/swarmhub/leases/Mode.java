package dev.swarmhub.leases;

import dev.swarmhub.kernel.SwarmException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Lease mode: shared leases coexist with each other; an exclusive lease excludes every other. */
public enum Mode {
    EXCLUSIVE, SHARED;

    public boolean conflictsWith(Mode other) {
        return this == EXCLUSIVE || other == EXCLUSIVE;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The labels a caller may give. */
    public static List<String> names() {
        return Arrays.stream(values()).map(Mode::label).toList();
    }

    public static Mode parse(String text) {
        for (Mode mode : values()) {
            if (mode.label().equalsIgnoreCase(text)) {
                return mode;
            }
        }
        throw SwarmException.badInput("unknown lease mode '" + text + "': use " + String.join(" or ", names()));
    }
}
