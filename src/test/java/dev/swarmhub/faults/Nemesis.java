package dev.swarmhub.faults;

import static dev.swarmhub.faults.FaultClient.ordered;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The faults of a run, one at a time on a schedule drawn from the seed before the run (same seed,
 * same faults in the same order with the same targets and lengths; the timings are the machine's).
 * Each fault is recorded as two "nemesis" info events sharing an op number: its start and its end.
 */
final class Nemesis {

    /** The kinds of fault, by the names --nemesis takes. */
    enum Fault {
        KILL_HUB("kill-hub", "kill-hub", "restart-hub", true), PAUSE_HUB("pause-hub", "pause-hub", "resume-hub", true),
        PAUSE_CLIENT("pause-client", "pause-client", "resume-client", false), DISK_FULL("disk-full", "disk-full", "disk-freed", true),
        SLOW_DISK("slow-disk", "slow-disk-on", "slow-disk-off", true), CLOCK_STEP("clock-step", "clock-step", "clock-step", false),
        DROP_CONNECTIONS("drop-connections", "drop-connections", "heal-connections", false),
        DELAY_CONNECTIONS("delay-connections", "drop-connections", "heal-connections", false);

        final String option;
        /** The f of the events recording its start and its end. */
        final String start;
        final String end;
        final boolean onHub;

        Fault(String option, String start, String end, boolean onHub) {
            this.option = option;
            this.start = start;
            this.end = end;
            this.onHub = onHub;
        }

        static Fault named(String name) {
            return Arrays.stream(values()).filter(fault -> fault.option.equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown nemesis '" + name + "': use "
                            + String.join(", ", Arrays.stream(values()).map(fault -> fault.option).toList())));
        }
    }

    /** A client fault aimed at every client at once. */
    static final int ALL_CLIENTS = -1;

    /**
     * One planned fault: after {@code gapMs} of calm, {@code fault} on {@code target} (a hub or
     * client index, or ALL_CLIENTS) for {@code lengthMs}; {@code parameter} is the fault's own:
     * a clock step in seconds, a delay in ms, 0 or 1 (drop or stall) for dropped connections.
     */
    record Planned(Fault fault, int target, long gapMs, long lengthMs, long parameter) {
    }

    /** What the nemesis acts on. */
    interface Targets {
        FaultHubs hubs();

        List<Process> clients();

        List<FaultProxy> proxies();

        /** The libfaketime control file of client {@code index}. */
        Path clock(int index);
    }

    private final List<Planned> schedule;
    private final Targets targets;
    private final FaultRecorder recorder;

    Nemesis(List<Planned> schedule, Targets targets, FaultRecorder recorder) {
        this.schedule = schedule;
        this.targets = targets;
        this.recorder = recorder;
    }

    /** Enough faults for {@code durationMs}, drawn from the seed alone. */
    static List<Planned> schedule(long seed, List<Fault> enabled, int hubs, int clients, long ttlMs, long durationMs) {
        List<Planned> planned = new ArrayList<>();
        if (enabled.isEmpty()) {
            return planned;
        }
        Random random = new Random(seed * 0x9E3779B97F4A7C15L + 1);
        long total = 0;
        while (total < durationMs) {
            Fault fault = enabled.get(random.nextInt(enabled.size()));
            long gap = 500 + random.nextInt(2_500);
            int drawn = fault.onHub ? random.nextInt(hubs) : random.nextInt(4) == 0 && fault != Fault.PAUSE_CLIENT ? ALL_CLIENTS : random.nextInt(clients);
            int target = fault == Fault.CLOCK_STEP ? FaultRun.CLOCK_STEPPED : drawn;
            long pastTtl = ttlMs * 3 / 2 + (long) (random.nextDouble() * ttlMs); // 1.5 to 2.5 TTLs
            Planned next = switch (fault) {
                case KILL_HUB -> new Planned(fault, target, gap, 200 + random.nextInt(2_800), 0);
                case PAUSE_HUB, PAUSE_CLIENT -> new Planned(fault, target, gap, pastTtl, 0);
                case DISK_FULL -> new Planned(fault, target, gap, 1_000 + random.nextInt(3_000), 0);
                case SLOW_DISK -> new Planned(fault, target, gap, 2_000 + random.nextInt(4_000), 100 + random.nextInt(1_400));
                case CLOCK_STEP -> new Planned(fault, target, gap, 2_000 + random.nextInt(4_000),
                        (random.nextBoolean() ? 1 : -1) * (60 + random.nextInt(7_140)));
                case DROP_CONNECTIONS -> new Planned(fault, target, gap, random.nextBoolean() ? 500 + random.nextInt(2_500) : pastTtl,
                        random.nextInt(2));
                case DELAY_CONNECTIONS -> new Planned(fault, target, gap, 1_000 + random.nextInt(4_000), 100 + random.nextInt(1_900));
            };
            planned.add(next);
            total += next.gapMs() + next.lengthMs();
        }
        return planned;
    }

    /** Runs the schedule until {@code endNanos} (System.nanoTime()); a fault under way then is ended at once. */
    void run(long endNanos) throws IOException, InterruptedException {
        for (Planned fault : schedule) {
            if (!sleepUntil(endNanos, fault.gapMs())) {
                return;
            }
            long op = recorder.nextOp();
            start(fault, op);
            try {
                sleepUntil(endNanos, fault.lengthMs());
            } finally {
                end(fault, op);
            }
        }
    }

    /** Sleeps for the fault's planned time, or until the end of the run; false when the run ended. */
    private static boolean sleepUntil(long endNanos, long ms) throws InterruptedException {
        long left = endNanos - System.nanoTime();
        long planned = Duration.ofMillis(ms).toNanos();
        Thread.sleep(Duration.ofNanos(Math.max(0, Math.min(left, planned)))); // the schedule itself, not synchronisation
        return planned < left;
    }

    private void start(Planned planned, long op) throws IOException {
        String target = targetName(planned);
        switch (planned.fault()) {
            case KILL_HUB -> {
                FaultHubs.Hub hub = targets.hubs().get(planned.target());
                long pid = hub.process.pid();
                targets.hubs().kill(hub);
                record(planned.fault().start, op, ordered("target", target, "pid", pid));
            }
            case PAUSE_HUB -> {
                FaultHubs.Hub hub = targets.hubs().get(planned.target());
                targets.hubs().pause(hub);
                record(planned.fault().start, op, ordered("target", target, "pid", hub.process.pid(), "ms", planned.lengthMs()));
            }
            case PAUSE_CLIENT -> {
                signal(targets.clients().get(planned.target()), "STOP");
                record(planned.fault().start, op, ordered("target", target, "ms", planned.lengthMs()));
            }
            case DISK_FULL -> {
                long filler = targets.hubs().fill(targets.hubs().get(planned.target()));
                record(planned.fault().start, op, ordered("target", target, "filler_bytes", filler));
            }
            case SLOW_DISK -> {
                targets.hubs().slowDisk(targets.hubs().get(planned.target()), planned.parameter());
                record(planned.fault().start, op, ordered("target", target, "fsync_delay_ms", planned.parameter()));
            }
            case CLOCK_STEP -> {
                stepClocks(planned.target(), planned.parameter());
                record(planned.fault().start, op, ordered("target", target, "offset_s", planned.parameter()));
            }
            case DROP_CONNECTIONS -> {
                FaultProxy.Mode mode = planned.parameter() == 0 ? FaultProxy.Mode.DROP : FaultProxy.Mode.STALL;
                proxies(planned.target()).forEach(proxy -> proxy.set(mode, 0));
                record(planned.fault().start, op, ordered("target", target, "mode", mode.name().toLowerCase(), "ms", planned.lengthMs()));
            }
            case DELAY_CONNECTIONS -> {
                proxies(planned.target()).forEach(proxy -> proxy.set(FaultProxy.Mode.DELAY, planned.parameter()));
                record(planned.fault().start, op, ordered("target", target, "mode", "delay", "delay_ms", planned.parameter(), "ms", planned.lengthMs()));
            }
        }
    }

    private void end(Planned planned, long op) throws IOException {
        String target = targetName(planned);
        switch (planned.fault()) {
            case KILL_HUB -> {
                FaultHubs.Hub hub = targets.hubs().get(planned.target());
                long down = System.nanoTime();
                try {
                    targets.hubs().start(hub);
                } catch (RuntimeException | AssertionError failed) { // the hub did not come back: a finding; the final heal tries again
                    record(planned.fault().end, op, ordered("target", target, "error", String.valueOf(failed.getMessage())));
                    throw failed;
                }
                record(planned.fault().end, op, ordered("target", target, "pid", hub.process.pid(),
                        "start_ms", Duration.ofNanos(System.nanoTime() - down).toMillis()));
            }
            case PAUSE_HUB -> {
                targets.hubs().resume(targets.hubs().get(planned.target()));
                record(planned.fault().end, op, ordered("target", target));
            }
            case PAUSE_CLIENT -> {
                signal(targets.clients().get(planned.target()), "CONT");
                record(planned.fault().end, op, ordered("target", target));
            }
            case DISK_FULL -> {
                targets.hubs().free(targets.hubs().get(planned.target()));
                record(planned.fault().end, op, ordered("target", target));
            }
            case SLOW_DISK -> {
                targets.hubs().slowDisk(targets.hubs().get(planned.target()), 0);
                record(planned.fault().end, op, ordered("target", target));
            }
            case CLOCK_STEP -> {
                stepClocks(planned.target(), 0);
                record(planned.fault().end, op, ordered("target", target, "offset_s", 0));
            }
            case DROP_CONNECTIONS, DELAY_CONNECTIONS -> {
                proxies(planned.target()).forEach(proxy -> proxy.set(FaultProxy.Mode.PASS, 0));
                record(planned.fault().end, op, ordered("target", target));
            }
        }
    }

    private void record(String f, long op, Map<String, Object> value) {
        recorder.record(FaultRecorder.Type.INFO, f, op, value);
    }

    /** The target as the events name it: a hub h1.., a client c1.., or "clients". */
    static String targetName(Planned planned) {
        return planned.fault().onHub ? "h" + (planned.target() + 1) : planned.target() == ALL_CLIENTS ? "clients" : "c" + (planned.target() + 1);
    }

    private List<FaultProxy> proxies(int target) {
        return target == ALL_CLIENTS ? targets.proxies() : List.of(targets.proxies().get(target));
    }

    /** Steps the clients' wall clocks (libfaketime reads the file again at most once a second) by this many seconds from true time. */
    private void stepClocks(int target, long offsetSeconds) throws IOException {
        int from = target == ALL_CLIENTS ? 0 : target;
        int to = target == ALL_CLIENTS ? targets.clients().size() : target + 1;
        for (int i = from; i < to; i++) {
            writeClock(targets.clock(i), offsetSeconds);
        }
    }

    /** Writes a libfaketime control file whole (a rename), so a client never reads it half-written. */
    static void writeClock(Path file, long offsetSeconds) throws IOException {
        Path draft = file.resolveSibling(file.getFileName() + ".draft");
        Files.writeString(draft, (offsetSeconds < 0 ? "" : "+") + offsetSeconds + "\n");
        Files.move(draft, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static void signal(Process process, String signal) {
        try {
            new ProcessBuilder("kill", "-s", signal, Long.toString(process.pid())).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(); // a client that already exited: nothing to do
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
