package dev.swarmhub.kernel;

import java.util.Optional;
import java.util.OptionalLong;

/** What the domain needs to know about processes on this machine. */
public interface ProcessProbe {

    /** Process start times from one host may differ by the clock-tick rounding of the probe. */
    long START_TIME_TOLERANCE_MS = 1_000;

    /** This host's identity, as recorded with agents and runs of this host: its name and what tells it from others of that name. */
    String host();

    /**
     * This machine's host name alone: how hosts were recorded before they carried more (a row
     * recorded so is this host's only when its process is found here).
     */
    default String hostName() {
        return host();
    }

    /** Start time (epoch ms) of the process, or empty when no such process exists. */
    OptionalLong startedAt(long pid);

    /** Whether a process started at {@code recorded} may be the one that started at {@code probed}. */
    static boolean sameStart(long recorded, long probed) {
        return Math.abs(recorded - probed) <= START_TIME_TOLERANCE_MS;
    }

    /** The process running this code, or empty when its start time cannot be read. */
    default Optional<ProcessIdentity> current() {
        long pid = ProcessHandle.current().pid();
        OptionalLong started = startedAt(pid);
        return started.isPresent() ? Optional.of(new ProcessIdentity(host(), pid, started.getAsLong())) : Optional.empty();
    }

    /**
     * Whether that process still runs: on this host (or recorded under its host name alone),
     * with its pid not taken over by another process. A process of another host is never known to run.
     */
    default boolean runs(ProcessIdentity process) {
        if (!process.host().equals(host()) && !process.host().equals(hostName())) {
            return false;
        }
        OptionalLong started = startedAt(process.pid());
        return started.isPresent() && sameStart(process.startedAt(), started.getAsLong());
    }
}
