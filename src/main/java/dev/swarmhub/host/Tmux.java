package dev.swarmhub.host;

import dev.swarmhub.core.SwarmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The tmux server of this user (or the one at an explicit socket). Listing panes of a machine
 * without a running server gives no panes, not an error. Every command is bounded by a timeout:
 * a hung tmux fails the command instead of stopping its caller.
 */
public final class Tmux {

    /** A pane: id such as %3, the pid of the process tmux started in it, its current directory. */
    public record Pane(String id, long pid, String currentPath) {
    }

    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final List<String> command;
    private final Duration timeout;

    /** {@code socket} null: tmux's default server (the one $TMUX points at, or the user's default). */
    public Tmux(String socket, Duration timeout) {
        this.command = socket == null ? List.of("tmux") : List.of("tmux", "-S", socket);
        this.timeout = timeout;
    }

    public Tmux(String socket) {
        this(socket, TIMEOUT);
    }

    public List<Pane> panes() {
        Result listed = run("list-panes", "-a", "-F", "#{pane_id}\t#{pane_pid}\t#{pane_current_path}");
        if (listed.exitCode() != 0) {
            if (listed.err().contains("no server running") || listed.err().contains("error connecting")
                    || listed.err().contains("No such file or directory")) {
                return List.of();
            }
            throw new SwarmException(SwarmException.Kind.INTERNAL, "tmux list-panes failed: " + listed.err().strip());
        }
        List<Pane> panes = new ArrayList<>();
        for (String line : listed.out().split("\n")) {
            String[] fields = line.split("\t", 3);
            if (fields.length == 3) {
                panes.add(new Pane(fields[0], Long.parseLong(fields[1]), fields[2]));
            }
        }
        return panes;
    }

    /** Exit code -1 with {@link #TIMED_OUT} in err: tmux did not answer in time and was killed. */
    record Result(int exitCode, String out, String err) {
    }

    static final String TIMED_OUT = "tmux did not answer within ";

    private Result run(String... args) {
        return run(new byte[0], List.of(args));
    }

    /**
     * Runs tmux with the arguments, {@code input} as its standard input. Input and output go
     * through private temporary files, not pipes: a hung tmux can then neither block the write of
     * its input nor the read of its output, and the timed wait really ends it.
     */
    Result run(byte[] input, List<String> args) {
        List<String> full = new ArrayList<>(command);
        full.addAll(args);
        Path in = null;
        Path out = null;
        Path err = null;
        try {
            in = Files.write(Files.createTempFile("swarm-tmux-", ".in"), input); // 0600: message text is private
            out = Files.createTempFile("swarm-tmux-", ".out");
            err = Files.createTempFile("swarm-tmux-", ".err");
            Process process = new ProcessBuilder(full).redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "", TIMED_OUT + timeout.toMillis() + " ms (tmux " + args.get(0) + ")");
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("No such file")) {
                return new Result(127, "", "tmux is not installed: No such file or directory");
            }
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot run tmux: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwarmException(SwarmException.Kind.INTERNAL, "interrupted while running tmux");
        } finally {
            for (Path file : new Path[] {in, out, err}) {
                if (file != null) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException ignored) {
                        // a stray temporary file of ours; the next run does not need it
                    }
                }
            }
        }
    }
}
