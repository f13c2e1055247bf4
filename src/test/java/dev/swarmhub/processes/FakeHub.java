package dev.swarmhub.processes;

import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.testing.FakeProcesses;
import dev.swarmhub.testing.MutableClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hub's part ({@link ProcessControl}) played by the test, as {@code hub/ProcessSupervisor}
 * plays it: it records every wake and, when asked to ({@link #starts}, {@link #stops}), does on
 * the waking thread what the supervisor's tick does: starts what is due (a pretend process in
 * {@link FakeProcesses}, recorded with {@link Processes#started}) and signals what was asked to
 * stop (the process ends at once, recorded with {@link Processes#ended}). So a spawn or a kill
 * finds its answer when it looks after its wake, with no thread and no sleep.
 */
final class FakeHub implements ProcessControl {

    /** The fixture's checkout: where a spec without a working directory runs, as the real hub resolves it. */
    static final String ROOT = "/work/project";

    private final String host;
    /**
     * The checkout it serves (a spec without a working directory runs there); null: a hub from
     * before runs recorded theirs, whose runs are as the rows from then (no hub scope).
     */
    private final String checkout;
    private final FakeProcesses machine;
    private final MutableClock clock;
    private Processes processes;
    final AtomicInteger wakes = new AtomicInteger();
    /** The specs it was asked to prepare. */
    final List<Run.Spec> prepared = new CopyOnWriteArrayList<>();
    /** Agent → the token its process was given (the one the agent calls with). */
    final Map<String, String> tokens = new ConcurrentHashMap<>();
    /** The stop requests it carried out, in order. */
    final List<Run.StopRequest> signalled = new CopyOnWriteArrayList<>();
    /** Shared: the hubs of one host give their processes different pids. */
    private static final AtomicLong PIDS = new AtomicLong(4_000);
    /** On a wake, start what is due (the supervisor's tick). */
    volatile boolean starts = true;
    /** On a wake, signal the runs asked to stop: each process ends at once. */
    volatile boolean stops = true;
    /** Non-null: launching fails with this (no program, a bad directory). */
    volatile String cannotStart;
    /** Non-null: prepare refuses the spec with this. */
    volatile RuntimeException refuses;

    FakeHub(String host, String checkout, FakeProcesses machine, MutableClock clock) {
        this.host = host;
        this.checkout = checkout;
        this.machine = machine;
        this.clock = clock;
    }

    FakeHub supervising(Processes processes) {
        this.processes = processes;
        processes.superviseWith(this);
        return this;
    }

    @Override
    public String host() {
        return host;
    }

    /** As the real hub's: its host and checkout. */
    @Override
    public String hubScope() {
        return checkout == null ? null : host + ":" + checkout;
    }

    @Override
    public Run.Spec prepare(Run.Spec spec) {
        prepared.add(spec);
        if (refuses != null) {
            throw refuses;
        }
        return new Run.Spec(spec.name(), spec.kind(), spec.task(), spec.command(), spec.environment(), spec.cwd() == null ? java.util.Objects.requireNonNullElse(checkout, ROOT) : spec.cwd(),
                spec.worktree(), spec.tmux(), spec.maxCostUsd());
    }

    @Override
    public void wake() {
        wakes.incrementAndGet();
        if (starts) {
            startDue();
        }
        if (stops) {
            stopAsked();
        }
    }

    /** Starts every run that is due, as the supervisor's tick does; the runs as started. */
    List<Run> startDue() {
        List<Run> started = new ArrayList<>();
        for (var starting = processes.startNext(this); starting.isPresent(); starting = processes.startNext(this)) {
            started.add(launch(starting.get()));
        }
        return started;
    }

    /** Launches a run that startNext handed over: its process starts now (or fails, with {@link #cannotStart}). */
    Run launch(Processes.Starting starting) {
        Run run = starting.run();
        tokens.put(run.agent(), starting.token());
        if (cannotStart != null) {
            processes.ended(run.id(), null, false, "cannot start: " + cannotStart);
            return run;
        }
        long pid = PIDS.incrementAndGet();
        long now = clock.millis();
        if (local()) {
            machine.start(pid, now);
        }
        return processes.started(run.id(), new ProcessIdentity(host, pid, now), run.spec().cwd(), run.spec().tmux()
                ? new dev.swarmhub.agents.PaneBinding("/tmp/fake-tmux.sock", "%" + pid, pid, now, pid, now) : null);
    }

    /** Signals every live run asked to stop; its process ends at once, killed by the signal. */
    void stopAsked() {
        for (Run run : processes.toStop(this)) {
            signalled.add(run.stop());
            endProcess(run);
            processes.ended(run.id(), run.stop().signal().equals("KILL") ? 137 : 143, true, null);
        }
    }

    /** The run's process exits by itself with this code. */
    boolean exit(Run run, Integer code) {
        endProcess(run);
        return processes.ended(run.id(), code, false, null);
    }

    private void endProcess(Run run) {
        if (local() && run.pid() != null && machine.startedAt(run.pid()).isPresent()) {
            machine.end(run.pid());
        }
    }

    /** Its processes are in the test's process table (another host's are not). */
    private boolean local() {
        return host.equals(FakeProcesses.HOST);
    }
}
