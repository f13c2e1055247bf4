package dev.swarmhub.host;

import dev.swarmhub.core.PaneBinding;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Types one line into an agent's tmux pane, then Enter, as if a person typed it, but only while
 * the pane is bound to that agent ({@link PaneGuard}): never into a shell, another process or
 * another server's pane with the same id. Typings into one pane are serialised across every
 * process of this user: each holds the pane's lock file (flock), so the text and Enter of one
 * line are never split by another's. The text goes through a tmux paste buffer, not send-keys
 * arguments, because tmux reads an argument ending in ";" as a command separator. A pane in copy
 * mode leaves it first (the text would otherwise be read as copy-mode keys). A line is never
 * typed twice: the paste deletes its buffer, so after a failure the buffer's presence tells
 * whether the paste happened, and a retry repeats only what did not.
 */
public final class PaneTyper {

    /** Threads of one process take the in-process lock first: flock belongs to the whole process. */
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
    private static final AtomicLong BUFFERS = new AtomicLong();
    private static final int ATTEMPTS = 3;
    private static final long FIRST_BACKOFF_MS = 50;

    private final Path lockDirectory;
    private final Duration tmuxTimeout;
    private final PaneGuard guard = new PaneGuard();

    public PaneTyper(Path lockDirectory, Duration tmuxTimeout) {
        this.lockDirectory = lockDirectory;
        this.tmuxTimeout = tmuxTimeout;
    }

    /** Locks in $XDG_RUNTIME_DIR/swarmhub/panes, else in the temporary directory, private to this user. */
    public static PaneTyper forUser() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtime != null && Files.isDirectory(Path.of(runtime)) ? Path.of(runtime, "swarmhub")
                : Path.of(System.getProperty("java.io.tmpdir"), "swarmhub-" + System.getProperty("user.name"));
        return new PaneTyper(base.resolve("panes"), Tmux.TIMEOUT);
    }

    /** What became of a typing: typed, or why not. */
    public record Outcome(boolean typed, String failure) {
        static final Outcome TYPED = new Outcome(true, null);

        static Outcome failed(String why) {
            return new Outcome(false, why);
        }
    }

    public Outcome type(PaneBinding binding, String line) {
        Tmux tmux = new Tmux(binding.socket(), tmuxTimeout);
        Path lockFile = lockFile(binding.socket(), binding.pane());
        ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile, file -> new ReentrantLock());
        local.lock();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = channel.lock()) {
            return typeHoldingTheLock(tmux, binding, line);
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot lock pane " + binding.pane() + " (" + lockFile + "): " + e.getMessage(), e);
        } finally {
            local.unlock();
        }
    }

    /**
     * Loads the text into a buffer (with a look at the pane), checks the binding, then pastes
     * (deleting the buffer) and presses Enter. After a failure, the buffer's presence tells whether
     * the paste happened; a retry repeats only what did not (at worst Enter, which types no text).
     */
    private Outcome typeHoldingTheLock(Tmux tmux, PaneBinding binding, String line) {
        String pane = binding.pane();
        String buffer = "swarm-" + ProcessHandle.current().pid() + "-" + BUFFERS.incrementAndGet();
        boolean loaded = false;
        boolean pasted = false;
        String failure = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            if (attempt > 1) {
                pause(FIRST_BACKOFF_MS << (attempt - 2));
            }
            Tmux.PaneTerminal terminal;
            try {
                terminal = loaded ? tmux.pane(pane) : tmux.paneLoadingBuffer(pane, buffer, line.getBytes(StandardCharsets.UTF_8));
            } catch (SwarmException missingOrUnreachable) {
                failure = missingOrUnreachable.getMessage();
                break;
            } catch (Tmux.Failure tmuxFailed) {
                failure = tmuxFailed.getMessage();
                continue;
            }
            loaded = true;
            String refused = guard.refusal(binding, terminal); // checked on every try: the pane may have changed meanwhile
            if (refused != null) {
                failure = (pasted ? "the text was typed but not Enter: " : "") + refused;
                break;
            }
            List<String> keys = List.of("send-keys", "-t", pane, "Enter");
            Tmux.Result typed = tmux.run(new byte[0], pasted ? keys : concat(List.of(
                    "if-shell", "-F", "-t", pane, "#{pane_in_mode}", "send-keys -t " + pane + " -X cancel", ";",
                    "paste-buffer", "-d", "-b", buffer, "-t", pane, ";"), keys));
            if (typed.exitCode() == 0) {
                return Outcome.TYPED;
            }
            pasted = pasted || Boolean.FALSE.equals(bufferExists(tmux, buffer)); // -d: gone once pasted; unknown: not pasted
            failure = (pasted ? "the text was typed but not Enter: " : "") + typed.err().strip();
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

    /** Whether the buffer exists; null when tmux cannot tell (then the step counts as not done, unless repeating it could type twice). */
    private static Boolean bufferExists(Tmux tmux, String buffer) {
        Tmux.Result shown = tmux.run(new byte[0], List.of("list-buffers", "-F", "#{buffer_name}"));
        if (shown.exitCode() != 0 && !shown.err().contains("no buffers")) {
            return null;
        }
        return shown.out().lines().anyMatch(buffer::equals);
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
