package dev.swarmhub.processes;

import dev.swarmhub.kernel.SwarmException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The signal that stops a process: TERM lets it end itself within the grace, KILL ends it at once. */
public enum StopSignal {
    TERM, KILL;

    public static List<String> names() {
        return Arrays.stream(values()).map(StopSignal::name).toList();
    }

    /** A signal by its name, case-insensitive, with or without "SIG". */
    public static StopSignal parse(String text) {
        String name = text == null ? "" : text.strip().toUpperCase(Locale.ROOT).replaceFirst("^SIG", "");
        for (StopSignal signal : values()) {
            if (signal.name().equals(name)) {
                return signal;
            }
        }
        throw SwarmException.badInput("unknown signal '" + text + "': use " + String.join(" or ", names()));
    }
}
