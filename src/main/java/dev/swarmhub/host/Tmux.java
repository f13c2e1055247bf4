package dev.swarmhub.host;

import dev.swarmhub.core.SwarmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The tmux server of this user (or the one at an explicit socket). Listing panes of a machine
 * without a running server gives no panes, not an error.
 */
public final class Tmux {

    /** A pane: id such as %3, the pid of the process tmux started in it, its current directory. */
    public record Pane(String id, long pid, String currentPath) {
    }

    private final List<String> command;

    /** {@code socket} null: tmux's default server (the one $TMUX points at, or the user's default). */
    public Tmux(String socket) {
        this.command = socket == null ? List.of("tmux") : List.of("tmux", "-S", socket);
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

    record Result(int exitCode, String out, String err) {
    }

    private Result run(String... args) {
        return run(new byte[0], List.of(args));
    }

    /** Runs tmux with the arguments, writing {@code input} to its standard input. */
    Result run(byte[] input, List<String> args) {
        List<String> full = new ArrayList<>(command);
        full.addAll(args);
        try {
            Process process = new ProcessBuilder(full).start();
            try (var stdin = process.getOutputStream()) {
                stdin.write(input);
            }
            byte[] out = process.getInputStream().readAllBytes();
            byte[] err = process.getErrorStream().readAllBytes();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new SwarmException(SwarmException.Kind.INTERNAL, "tmux did not answer within 10 s");
            }
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("No such file")) {
                return new Result(127, "", "tmux is not installed: No such file or directory");
            }
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot run tmux: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwarmException(SwarmException.Kind.INTERNAL, "interrupted while running tmux");
        }
    }
}
