package dev.swarmhub.testing;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Processes a test saw (the programs a hub started for it), to kill after the test if still
 * there. Each is known by pid and start time: with pids wrapping at 32,768 on a busy machine, a
 * pid that ended may name another test run's process by cleanup time, and a bare pid killed that.
 */
public final class NotedProcesses {

    private final Map<Long, Instant> startedAt = new ConcurrentHashMap<>();

    /** Notes the process while it runs; one that already ended is not noted (nothing to clean up). */
    public void note(long pid) {
        ProcessHandle.of(pid).flatMap(process -> process.info().startInstant()).ifPresent(started -> startedAt.putIfAbsent(pid, started));
    }

    /** SIGKILL to each noted process (and its descendants) that is still the process noted. */
    public void killAll() {
        startedAt.forEach((pid, started) -> ProcessHandle.of(pid).filter(process -> process.info().startInstant().equals(Optional.of(started)))
                .ifPresent(process -> {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                }));
        startedAt.clear();
    }
}
