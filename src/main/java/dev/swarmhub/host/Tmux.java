package dev.swarmhub.host;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One tmux server, named by its socket: pane ids (%0, %1, ...) are per server and reused, so
 * every command names the server ({@code tmux -S}), never tmux's default choice, which depends on
 * the environment of whoever runs it. Every command is bounded by a timeout: a hung tmux fails
 * the command instead of stopping its caller.
 */
public final class Tmux {

    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** A pane: id such as %3, the pid of the process tmux started in it, its current directory. */
    public record Pane(String id, long pid, String currentPath) {
    }

    /** A pane as tmux describes it: its id, the process tmux started in it, and its terminal. */
    public record PaneTerminal(String id, long pid, String tty) {
    }

    private final String socket;
    private final Duration timeout;
    private final Path scratch;

    /**
     * The server at {@code socket} (an absolute path, see {@link #socketPath}); each command's input
     * and output pass through files in {@code scratch}, a directory private to this user.
     */
    public Tmux(String socket, Duration timeout, Path scratch) {
        this.socket = socket;
        this.timeout = timeout;
        this.scratch = scratch;
    }

    /** The server at {@code socket}, its commands' files in the user's pane directory (see PaneTyper#userDirectory). */
    public Tmux(String socket) {
        this(socket, TIMEOUT, PaneTyper.userDirectory());
    }

    public String socket() {
        return socket;
    }

    /**
     * The tmux server a caller's environment names, as an absolute socket path: an explicit
     * socket, else the server of the caller's terminal ($TMUX's first field), else
     * SWARM_TMUX_SOCKET, else tmux's default server for this user ($TMUX_TMPDIR or /tmp, then
     * tmux-UID/default). Relative paths are taken from the caller's working directory.
     */
    public static String socketPath(String explicit, Map<String, String> environment, Path workingDirectory) {
        String chosen = explicit;
        if (chosen == null && environment.get("TMUX") != null && !environment.get("TMUX").isBlank()) {
            chosen = environment.get("TMUX").split(",", 2)[0];
        }
        if (chosen == null) {
            chosen = environment.get("SWARM_TMUX_SOCKET");
        }
        if (chosen == null) {
            String directory = environment.getOrDefault("TMUX_TMPDIR", "/tmp");
            chosen = Path.of(directory.isEmpty() ? "/tmp" : directory, "tmux-" + userId(), "default").toString();
        }
        if (chosen.isBlank()) {
            throw SwarmException.badInput("empty tmux socket path");
        }
        Path path = workingDirectory.resolve(chosen).normalize();
        try {
            return path.toRealPath().toString(); // one server, one name, however it was reached
        } catch (IOException absent) {
            return path.toString();
        }
    }

    private static long userId() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot tell this user's id for tmux's default socket: " + e.getMessage(), e);
        }
    }

    /** The server's panes; empty when the server cannot be reached (not running, no socket, no tmux), which says nothing about its panes. */
    public Optional<List<Pane>> panes() {
        Result listed = run("list-panes", "-a", "-F", "#{pane_id}\t#{pane_pid}\t#{pane_current_path}");
        if (listed.exitCode() != 0) {
            if (listed.unreachable()) {
                return Optional.empty();
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
        return Optional.of(panes);
    }

    /** What the pane shows now (its visible screen); empty when the pane or its server is gone. */
    public Optional<String> screen(String pane) {
        Result shown = run("capture-pane", "-p", "-t", pane);
        return shown.exitCode() == 0 ? Optional.of(shown.out()) : Optional.empty();
    }

    private static final String DESCRIBE_PANE = "#{pane_id}\t#{pane_pid}\t#{pane_tty}";

    /** The pane with this id on this server; a bad-input error when the pane or the server is missing. */
    public PaneTerminal pane(String pane) {
        Result found = run("display-message", "-p", "-t", pane, DESCRIBE_PANE);
        if (found.exitCode() != 0 && !found.err().contains("can't find")) {
            throw SwarmException.badInput("tmux server " + socket + " does not answer: " + found.err().strip());
        }
        return described(pane, found);
    }

    /**
     * {@link #pane}, and in the same tmux command loads {@code text} into the named buffer (one
     * command instead of two: typing runs this for every line).
     * @throws Failure when the buffer could not be loaded (another try may work)
     */
    PaneTerminal paneLoadingBuffer(String pane, String buffer, byte[] text) {
        Result found = run(text, List.of("display-message", "-p", "-t", pane, DESCRIBE_PANE, ";", "load-buffer", "-b", buffer, "-"));
        if (found.exitCode() != 0 && (found.err().contains("can't find") || found.unreachable())) {
            throw SwarmException.badInput(found.unreachable() ? "tmux server " + socket + " does not answer: " + found.err().strip()
                    : "tmux pane " + pane + " does not exist on the server " + socket);
        }
        if (found.exitCode() != 0) {
            throw new Failure(found.err().strip());
        }
        return described(pane, found);
    }

    private PaneTerminal described(String pane, Result found) {
        String[] fields = found.out().strip().split("\t", 3);
        if (found.exitCode() != 0 || fields.length != 3 || !fields[0].equals(pane)) { // tmux 3.3 answers 0 with empty output for a missing pane
            throw SwarmException.badInput("tmux pane " + pane + " does not exist on the server " + socket);
        }
        return new PaneTerminal(pane, Long.parseLong(fields[1]), fields[2]);
    }

    /**
     * Starts {@code command} (its arguments as they are: tmux runs them without a shell) in a new
     * window of {@code session}, creating the session when there is none; the new pane. Its
     * process leads a session of its own (its pane's terminal).
     */
    public Pane newWindow(String session, Path cwd, List<String> command) {
        boolean exists = run("has-session", "-t", "=" + session).exitCode() == 0;
        List<String> args = new ArrayList<>(exists ? List.of("new-window", "-d", "-t", "=" + session + ":")
                : List.of("new-session", "-d", "-s", session, "-x", "200", "-y", "50"));
        args.addAll(List.of("-P", "-F", "#{pane_id}\t#{pane_pid}", "-c", literal(cwd.toString()), "--"));
        args.addAll(command);
        Result started = run(new byte[0], args);
        String[] fields = started.out().strip().split("\t");
        if (started.exitCode() != 0 || fields.length != 2) {
            throw SwarmException.badInput("cannot open a tmux window on " + socket + ": " + (started.err().isBlank() ? started.out() : started.err()).strip());
        }
        return new Pane(fields[0], Long.parseLong(fields[1]), cwd.toString());
    }

    /** Appends what the pane shows from now on to {@code file} (tmux runs cat for it; the path is quoted). */
    public void copyOutput(String pane, Path file) {
        Result piped = run("pipe-pane", "-o", "-t", pane, literal("cat >> '" + file.toString().replace("'", "'\\''") + "'"));
        if (piped.exitCode() != 0) {
            throw SwarmException.badInput("cannot copy the output of tmux pane " + pane + ": " + piped.err().strip());
        }
    }

    /**
     * The text as tmux reads it where it expands formats (a start directory, pipe-pane's command):
     * {@code #} doubled, so that {@code #(...)} in a directory's name is a name, never a command.
     */
    static String literal(String text) {
        return text.replace("#", "##");
    }

    /** A tmux command that failed in a way another try may not repeat (a timeout, a server hiccup). */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    /** Exit code -1 with {@link #TIMED_OUT} in err: tmux did not answer in time and was killed. */
    record Result(int exitCode, String out, String err) {
        /** No server at the socket, or no tmux at all. */
        boolean unreachable() {
            return err.contains("no server running") || err.contains("error connecting") || err.contains("No such file or directory")
                    || err.contains("not installed");
        }
    }

    static final String TIMED_OUT = "tmux did not answer within ";

    private Result run(String... args) {
        return run(new byte[0], List.of(args));
    }

    /**
     * Runs tmux with the arguments, {@code input} as its standard input. Input and output go
     * through files, not pipes: a hung tmux can then neither block the write of its input nor the
     * read of its output, and the timed wait really ends it. The files are 0600 in the user's 0700
     * scratch directory (message text is private; a full shared /tmp does not stop typing) and
     * are deleted when the command ends.
     */
    Result run(byte[] input, List<String> args) {
        List<String> full = new ArrayList<>(List.of("tmux", "-S", socket));
        full.addAll(args);
        Path in = null;
        Path out = null;
        Path err = null;
        try {
            Path directory = PaneTyper.privateDirectory(scratch);
            in = Files.write(Files.createTempFile(directory, "tmux-", ".in"), input);
            out = Files.createTempFile(directory, "tmux-", ".out");
            err = Files.createTempFile(directory, "tmux-", ".err");
            Process process = new ProcessBuilder(full).redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "", TIMED_OUT + timeout.toMillis() + " ms (tmux " + args.get(0) + " on " + socket + ")");
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
