package dev.swarmhub.host;

import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.kernel.SwarmException;
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
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Types one line into an agent's tmux pane, then Enter, as if a person typed it, but only while
 * the pane is bound to that agent ({@link PaneGuard}): never into a shell, another process or
 * another server's pane with the same id. The binding is checked before the paste and again
 * before Enter, so a foreground that changes meanwhile gets the text at most as an unsent,
 * cleared line. Typings into one pane are serialised across every
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

    /** Locks in {@link #userDirectory()}. */
    public static PaneTyper forUser() {
        return new PaneTyper(userDirectory(), Tmux.TIMEOUT);
    }

    /** $XDG_RUNTIME_DIR/swarmhub/panes, else swarmhub-USER/panes in the temporary directory: made private to this user when used. */
    static Path userDirectory() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtime != null && Files.isDirectory(Path.of(runtime)) ? Path.of(runtime, "swarmhub")
                : Path.of(System.getProperty("java.io.tmpdir"), "swarmhub-" + System.getProperty("user.name"));
        return base.resolve("panes");
    }

    /** What became of a typing: typed, or why not. */
    public record Outcome(boolean typed, String failure) {
        static final Outcome TYPED = new Outcome(true, null);

        static Outcome failed(String why) {
            return new Outcome(false, why);
        }
    }

    public Outcome type(PaneBinding binding, String line) {
        Tmux tmux = new Tmux(binding.socket(), tmuxTimeout, lockDirectory); // the text's files too stay in this private directory
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
     * Loads the text into a buffer (with a look at the pane) and checks the binding; pastes it
     * (bracketed where the pane's program asks for it, deleting the buffer) without Enter; checks
     * the binding again, as the foreground may have changed between the first check and the paste;
     * only then presses Enter. When the second check refuses, the pasted line is cleared (C-u), so
     * a shell that took the foreground meanwhile holds the text but never runs it. After a tmux
     * failure, the buffer's presence tells whether the paste happened; a retry repeats only what
     * did not (at worst Enter, which types no text).
     */
    private Outcome typeHoldingTheLock(Tmux tmux, PaneBinding binding, String line) {
        String pane = binding.pane();
        String buffer = "swarm-" + ProcessHandle.current().pid() + "-" + BUFFERS.incrementAndGet();
        boolean loaded = false;
        boolean pasted = false;
        String failure = null;
        int failures = 0;
        while (failures < ATTEMPTS) {
            Tmux.PaneTerminal terminal;
            try {
                terminal = loaded ? tmux.pane(pane) : tmux.paneLoadingBuffer(pane, buffer, line.getBytes(StandardCharsets.UTF_8));
            } catch (SwarmException missingOrUnreachable) {
                failure = (pasted ? "the text was pasted but not sent: " : "") + missingOrUnreachable.getMessage();
                break;
            } catch (Tmux.Failure tmuxFailed) {
                failure = tmuxFailed.getMessage();
                failures = backOff(failures);
                continue;
            }
            loaded = true;
            String refused = guard.refusal(binding, terminal); // before the paste and again after it, before Enter
            if (refused != null) {
                failure = pasted ? clearPastedLine(tmux, pane, refused) : refused;
                break;
            }
            if (!pasted) {
                Tmux.Result paste = tmux.run(new byte[0], List.of("if-shell", "-F", "-t", pane, "#{pane_in_mode}",
                        "send-keys -t " + pane + " -X cancel", ";", "paste-buffer", "-d", "-p", "-b", buffer, "-t", pane));
                pasted = paste.exitCode() == 0 || Boolean.FALSE.equals(bufferExists(tmux, buffer)); // -d: gone once pasted; unknown: not pasted
                if (paste.exitCode() != 0) {
                    failure = paste.err().strip();
                    failures = backOff(failures);
                }
                continue; // a pasted line is checked again before its Enter
            }
            Tmux.Result entered = tmux.run(new byte[0], List.of("send-keys", "-t", pane, "Enter"));
            if (entered.exitCode() == 0) {
                return Outcome.TYPED;
            }
            failure = "the text was pasted but not sent: " + entered.err().strip();
            failures = backOff(failures);
        }
        if (loaded && !pasted) {
            tmux.run(new byte[0], List.of("delete-buffer", "-b", buffer));
        }
        return Outcome.failed(failure);
    }

    /** Erases the pasted, not yet entered line (C-u: the kill character of terminals and shells' line editors alike). */
    private static String clearPastedLine(Tmux tmux, String pane, String refused) {
        Tmux.Result cleared = tmux.run(new byte[0], List.of("send-keys", "-t", pane, "C-u"));
        return (cleared.exitCode() == 0 ? "the pasted text was cleared, not sent: " : "the text was pasted but not sent, and clearing it failed ("
                + cleared.err().strip() + "): ") + refused;
    }

    /** Counts a failed try and waits before the next one, longer each time. */
    private static int backOff(int failures) {
        if (failures + 1 < ATTEMPTS) {
            pause(FIRST_BACKOFF_MS << failures);
        }
        return failures + 1;
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
            String key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((socket + "\n" + pane).getBytes(StandardCharsets.UTF_8)), 0, 12);
            return privateDirectory(lockDirectory).resolve("pane-" + key + ".lock");
        } catch (NoSuchAlgorithmException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot name pane locks: " + e.getMessage(), e);
        }
    }

    /** The directory, made if missing as 0700; refused unless it is a directory of this user (not a link). */
    static Path privateDirectory(Path directory) {
        try {
            if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
                // private too: in the temporary directory it is the one the hub keeps deep projects' sockets in, refused unless 0700
                Files.createDirectories(directory.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                try {
                    Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (FileAlreadyExistsException raced) {
                    // another process made it first
                }
            }
            String me = System.getProperty("user.name");
            if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)
                    || !Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS).getName().equals(me)) {
                throw new IOException("it is not a directory of " + me + " (in a shared temporary directory someone else may have made it)");
            }
            return directory;
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot prepare the private directory " + directory + ": " + e.getMessage(), e);
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
