package dev.swarmhub.testing;

import static org.assertj.core.api.Assertions.fail;

import dev.swarmhub.hub.HubFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A project's hub as a real OS process: {@code swarm up --root R} in the foreground, with its
 * output in a log file under the project. {@link #start} returns once the hub's socket accepts and
 * its .swarm/hub.json names it; {@link #close} kills it if a test left it running.
 */
public final class HubProcess implements AutoCloseable {

    private static final AtomicInteger STARTED = new AtomicInteger();
    private static final Pattern PID = Pattern.compile("\"pid\"\\s*:\\s*(\\d+)");
    private static final long EXIT_TIMEOUT_S = 30;

    private final Path root;
    private final Process process;
    private final Path log;

    private HubProcess(Path root, Process process, Path log) {
        this.root = root;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code swarm up} for the project without waiting for it (a second hub exits at once). */
    public static HubProcess launch(Path root) {
        return launch(root, Map.of());
    }

    /** As {@link #launch(Path)}, with these environment variables (the test's own SWARM_* never leak in). */
    public static HubProcess launch(Path root, Map<String, String> environment) {
        return launch(root, environment, List.of());
    }

    /** As {@link #launch(Path, Map)}, with these options for its JVM (system properties). */
    public static HubProcess launch(Path root, Map<String, String> environment, List<String> jvmOptions) {
        return launch(root, environment, jvmOptions, List.of());
    }

    /** As {@link #launch(Path, Map, List)}, with these options for {@code swarm up} (--port N). */
    public static HubProcess launch(Path root, Map<String, String> environment, List<String> jvmOptions, List<String> upOptions) {
        TestStores.prepare(root);
        Path log = root.resolve("hub-" + STARTED.incrementAndGet() + ".log");
        List<String> command = new ArrayList<>(List.of(JavaProcess.javaBinary(), "-XX:+UseSerialGC", "-Xlog:all=warning:stderr", "-XX:-UsePerfData",
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.swarmhub.cli.Swarm", "up", "--root", root.toString()));
        command.addAll(upOptions);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().keySet().removeIf(name -> name.startsWith("SWARM_"));
        builder.environment().putAll(environment);
        try {
            return new HubProcess(root, builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the hub and waits until it serves: its socket accepts and hub.json carries its pid. */
    public static HubProcess start(Path root) {
        return start(root, Map.of());
    }

    public static HubProcess start(Path root, Map<String, String> environment) {
        return start(root, environment, List.of());
    }

    /** Starts the hub with these options for its JVM and waits until it serves. */
    public static HubProcess start(Path root, Map<String, String> environment, List<String> jvmOptions) {
        return start(root, environment, jvmOptions, List.of());
    }

    public static HubProcess start(Path root, Map<String, String> environment, List<String> jvmOptions, List<String> upOptions) {
        HubProcess hub = launch(root, environment, jvmOptions, upOptions);
        try {
            hub.awaitServing();
            return hub;
        } catch (RuntimeException | Error failure) {
            hub.close();
            throw failure;
        }
    }

    /**
     * Waits while the starting hub works (its CPU time grows): a loaded machine only makes it
     * slower, while a hub that stopped working still fails the wait.
     */
    private void awaitServing() {
        Await.untilWhileProgressing("the hub of " + root + " to serve", this::cpuMillis, () -> {
            if (!process.isAlive()) {
                fail("the hub exited with " + process.exitValue() + " before serving:\n" + log());
            }
            return pid() == infoPid() && accepts(HubFiles.socket(root));
        });
    }

    private long cpuMillis() {
        return process.info().totalCpuDuration().map(java.time.Duration::toMillis).orElse(-1L);
    }

    /** True when something accepts connections on the Unix socket. */
    public static boolean accepts(Path socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The pid in .swarm/hub.json, or -1 when there is none. */
    public long infoPid() {
        try {
            Matcher pid = PID.matcher(Files.readString(HubFiles.info(root)));
            return pid.find() ? Long.parseLong(pid.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    public Path socket() {
        return HubFiles.socket(root);
    }

    /** Waits for the process to exit by itself; returns its exit code. */
    public int awaitExit() {
        try {
            if (!process.waitFor(EXIT_TIMEOUT_S, TimeUnit.SECONDS)) {
                fail("the hub (pid " + pid() + ") did not exit within " + EXIT_TIMEOUT_S + " s:\n" + log());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGTERM (what {@code swarm down} sends), then waits for the exit; returns the exit code. */
    public int stop() {
        process.destroy();
        return awaitExit();
    }

    /** SIGKILL: no shutdown hook, no cleanup. */
    public void kill() {
        process.destroyForcibly();
        awaitExit();
    }

    /**
     * SIGSTOP: the process is frozen (it neither runs nor exits) until {@link #resume()}. Returns
     * once every thread of it is stopped: the signal is delivered asynchronously, and a thread
     * still running could take the store's write lock after the caller looked.
     */
    public void pause() {
        signal("STOP");
        Await.until("every thread of the hub (pid " + pid() + ") stopped", this::everyThreadStopped);
    }

    private boolean everyThreadStopped() {
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path thread : threads) {
                char state = ProcStat.state(thread.resolve("stat")).orElse('X'); // a thread ended since the listing
                if ("TtZX".indexOf(state) < 0) { // stopped, or a thread that had ended
                    return false;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return true;
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-s", name, Long.toString(pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                fail("kill -s " + name + " " + pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What the hub printed so far (its stdout and stderr; its log proper is .swarm/hub.log). */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Kills the hub if it still runs (a test that failed half-way). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(EXIT_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
