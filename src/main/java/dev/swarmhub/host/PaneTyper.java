package dev.swarmhub.host;

import dev.swarmhub.core.SwarmException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Types one line into a tmux pane, then Enter, as if a person typed it. Typings into one pane are
 * serialised across every process of this user: each holds the pane's lock file (flock), so the
 * text and Enter of one line are never split by another's. The text goes through a tmux paste
 * buffer, not send-keys arguments, because tmux reads an argument ending in ";" as a command
 * separator. A pane in copy mode leaves it first (the text would otherwise be read as copy-mode
 * keys). A missing pane or tmux server is a failure at once; other tmux errors are tried again,
 * but a line is never typed twice: the paste deletes its buffer, so after a failure the buffer's
 * presence tells whether the paste happened.
 */
public final class PaneTyper {

    /** Threads of one process take the in-process lock first: flock belongs to the whole process. */
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
    private static final AtomicLong BUFFERS = new AtomicLong();
    private static final int ATTEMPTS = 3;
    private static final long FIRST_BACKOFF_MS = 50;

    private final Tmux tmux;
    private final Path lockDirectory;

    public PaneTyper(Tmux tmux, Path lockDirectory) {
        this.tmux = tmux;
        this.lockDirectory = lockDirectory;
    }

    /** Locks in $XDG_RUNTIME_DIR/swarmhub/panes, else in the temporary directory, private to this user. */
    public static PaneTyper forUser(Tmux tmux) {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtime != null && Files.isDirectory(Path.of(runtime)) ? Path.of(runtime, "swarmhub")
                : Path.of(System.getProperty("java.io.tmpdir"), "swarmhub-" + System.getProperty("user.name"));
        return new PaneTyper(tmux, base.resolve("panes"));
    }

    /** What became of a typing: typed, or why not. */
    public record Outcome(boolean typed, String failure) {
        static final Outcome TYPED = new Outcome(true, null);

        static Outcome failed(String why) {
            return new Outcome(false, why);
        }
    }

    public Outcome type(String pane, String line) {
        String socket = serverSocket(pane);
        if (socket == null) {
            return Outcome.failed("pane " + pane + " does not exist (or no tmux server runs)");
        }
        Path lockFile = lockFile(socket, pane);
        ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile, file -> new ReentrantLock());
        local.lock();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = channel.lock()) {
            return typeHoldingTheLock(pane, line);
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot lock pane " + pane + " (" + lockFile + "): " + e.getMessage(), e);
        } finally {
            local.unlock();
        }
    }

    /**
     * Loads the text into a buffer, then pastes it (deleting the buffer) and presses Enter. After
     * a failure, the buffer's presence tells whether the paste happened; a retry repeats only what
     * did not (at worst Enter, which types no text).
     */
    private Outcome typeHoldingTheLock(String pane, String line) {
        String buffer = "swarm-" + ProcessHandle.current().pid() + "-" + BUFFERS.incrementAndGet();
        boolean loaded = false;
        boolean pasted = false;
        String failure = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            if (attempt > 1) {
                pause(FIRST_BACKOFF_MS << (attempt - 2));
            }
            if (!loaded) {
                Tmux.Result load = tmux.run(line.getBytes(StandardCharsets.UTF_8), List.of("load-buffer", "-b", buffer, "-"));
                loaded = load.exitCode() == 0;
                if (!loaded) {
                    failure = load.err().strip();
                    if (permanent(failure)) {
                        break;
                    }
                    continue;
                }
            }
            List<String> keys = List.of("send-keys", "-t", pane, "Enter");
            Tmux.Result typed = tmux.run(new byte[0], pasted ? keys : concat(List.of(
                    "if-shell", "-F", "-t", pane, "#{pane_in_mode}", "send-keys -t " + pane + " -X cancel", ";",
                    "paste-buffer", "-d", "-b", buffer, "-t", pane, ";"), keys));
            if (typed.exitCode() == 0) {
                return Outcome.TYPED;
            }
            pasted = pasted || Boolean.FALSE.equals(bufferExists(buffer)); // -d: gone once pasted; unknown: not pasted
            failure = (pasted ? "the text was typed but not Enter: " : "") + typed.err().strip();
            if (permanent(failure)) {
                break;
            }
        }
        if (loaded && !pasted) {
            tmux.run(new byte[0], List.of("delete-buffer", "-b", buffer));
        }
        return Outcome.failed(failure);
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> both = new ArrayList<>(first);
        both.addAll(second);
        return both;
    }

    /** Whether the buffer exists; null when tmux cannot tell. */
    private Boolean bufferExists(String buffer) {
        Tmux.Result shown = tmux.run(new byte[0], List.of("list-buffers", "-F", "#{buffer_name}"));
        if (shown.exitCode() != 0) {
            return null;
        }
        return shown.out().lines().anyMatch(buffer::equals);
    }

    private static boolean permanent(String error) {
        return error.contains("can't find") || error.contains("no server running") || error.contains("error connecting")
                || error.contains("not installed");
    }

    /** The tmux server's socket (which names the server in lock files), or null when the pane does not exist. */
    private String serverSocket(String pane) {
        Tmux.Result found = tmux.run(new byte[0], List.of("display-message", "-p", "-t", pane, "#{pane_id}\t#{socket_path}"));
        String[] fields = found.out().strip().split("\t", 2);
        if (found.exitCode() != 0 || fields.length != 2 || !fields[0].equals(pane)) {
            return null; // tmux 3.3 answers 0 with empty output for a missing pane
        }
        return fields[1];
    }

    private Path lockFile(String socket, String pane) {
        try {
            if (!Files.isDirectory(lockDirectory, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(lockDirectory.getParent());
                try {
                    Files.createDirectory(lockDirectory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (FileAlreadyExistsException raced) {
                    // another process made it first
                }
            }
            String me = System.getProperty("user.name");
            if (!Files.isDirectory(lockDirectory, LinkOption.NOFOLLOW_LINKS)
                    || !Files.getOwner(lockDirectory, LinkOption.NOFOLLOW_LINKS).getName().equals(me)) {
                throw new IOException("it is not a directory of " + me + " (in a shared temporary directory someone else may have made it)");
            }
            String key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((socket + "\n" + pane).getBytes(StandardCharsets.UTF_8)), 0, 12);
            return lockDirectory.resolve("pane-" + key + ".lock");
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot prepare pane locks in " + lockDirectory + ": " + e.getMessage(), e);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis); // a back-off before trying tmux again, not a synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwarmException(SwarmException.Kind.INTERNAL, "interrupted while typing into a pane");
        }
    }
}
