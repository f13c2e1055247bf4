package dev.swarmhub.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A separate JVM running a main class from the test class path, talked to line by line over
 * stdin/stdout. Lets tests put real OS processes in contention on one store.
 */
public final class JavaProcess implements AutoCloseable {

    private final Process process;
    private final PrintWriter in;
    private final BufferedReader out;

    private JavaProcess(Process process) {
        this.process = process;
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    public static JavaProcess start(Class<?> main, Map<String, String> environment, Path stderrLog, String... args) {
        if (environment.containsKey("SWARM_ROOT")) {
            TestStores.prepare(Path.of(environment.get("SWARM_ROOT"))); // before the process makes the project's store
        }
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Xlog:all=warning:stderr", // the JVM's own warnings must not enter the stdout protocol
                "-XX:-UsePerfData", // no shared /tmp/hsperfdata file: with pids reused, a locked one made the JVM warn
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile()));
        builder.environment().putAll(environment);
        try {
            return new JavaProcess(builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The java launcher of the JVM running the tests (the scripts pick JDK 21+ for it). */
    public static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    public long pid() {
        return process.pid();
    }

    public void send(String line) {
        in.println(line);
    }

    /** The next line the process printed; fails when it exited instead. */
    public String receive() {
        try {
            String line = out.readLine();
            if (line == null) {
                throw new IllegalStateException("process " + process.pid() + " exited with " + process.waitFor());
            }
            return line;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGKILL: no shutdown hooks, no finally blocks. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        in.close();
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        process.waitFor();
    }
}
