package dev.swarmhub.testing;

import dev.swarmhub.kernel.ProcessProbe;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link ProcessProbe} over a pretend process table the test controls: it starts, ends and
 * replaces processes (a replaced pid is the same number with another start time, as when the
 * kernel reuses a pid). Safe to use from several threads.
 */
public final class FakeProcesses implements ProcessProbe {

    public static final String HOST = "test-host";

    private final Map<Long, Long> startedAt = new ConcurrentHashMap<>();
    private final String host;
    private final String hostName;

    public FakeProcesses() {
        this(HOST);
    }

    /** The process table of another machine. */
    public FakeProcesses(String host) {
        this(host, host);
    }

    /** The process table of a machine whose identity {@code host} is more than its {@code hostName}. */
    public FakeProcesses(String host, String hostName) {
        this.host = host;
        this.hostName = hostName;
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public String hostName() {
        return hostName;
    }

    @Override
    public OptionalLong startedAt(long pid) {
        Long started = startedAt.get(pid);
        return started == null ? OptionalLong.empty() : OptionalLong.of(started);
    }

    /** A process with this pid now runs, started at the given epoch milliseconds. */
    public void start(long pid, long startedAtMillis) {
        if (startedAt.putIfAbsent(pid, startedAtMillis) != null) {
            throw new IllegalStateException("process " + pid + " already runs: end or replace it");
        }
    }

    /** The process exited: its pid is free. */
    public void end(long pid) {
        if (startedAt.remove(pid) == null) {
            throw new IllegalStateException("no process " + pid + " to end");
        }
    }

    /** The process exited and another one was started with the same pid at another time. */
    public void replace(long pid, long newStartedAtMillis) {
        if (startedAt.replace(pid, newStartedAtMillis) == null) {
            throw new IllegalStateException("no process " + pid + " to replace");
        }
    }
}
