package dev.swarmhub.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Pattern;

/** Where a project's hub keeps its files; free of heavy dependencies, for the lean CLI client. */
public final class HubFiles {

    private static final String INFO = "hub.json";
    /** The hub.json field by which a hub announces that it marks running commands (older hubs did not). */
    static final String KEEPALIVE_FIELD = "keepAliveMs";
    /** The hub.json field by which a hub announces that it answers the native relay's requests ({@link CliFrames#RUN_IN_CLIENT}). */
    public static final String RELAY_FIELD = "nativeRelay";
    public static final int RELAY_VERSION = 1;
    private static final Pattern KEEPALIVE_ANNOUNCED = Pattern.compile("\"" + KEEPALIVE_FIELD + "\"\\s*:\\s*\\d+");

    private HubFiles() {
    }

    /**
     * The longest Unix socket path the JDK binds: sun_path holds 108 bytes, but the JDK keeps two
     * for itself (a path of 107 bytes fails with "Unix domain path too long").
     */
    public static final int SOCKET_PATH_LIMIT = 106;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    /**
     * The hub's socket: {@code .swarm/hub.sock}, unless that path is too long for a Unix socket (a
     * project deep in the file system); then a name made from the project's path in the user's own
     * directory of sockets ({@link #socketDirectory}), the same for the hub and its clients.
     */
    public static Path socket(Path root) {
        Path inProject = root.resolve(".swarm").resolve("hub.sock");
        if (inProject.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length <= SOCKET_PATH_LIMIT) {
            return inProject;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(root.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8));
            return socketDirectory().resolve(HexFormat.of().formatHex(digest, 0, 12) + ".sock");
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible); // every JDK has SHA-256
        }
    }

    /** Where sockets of deep projects go: $XDG_RUNTIME_DIR (private to the user) or /tmp, in a directory of the user's own. */
    static Path socketDirectory() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtime != null && !runtime.isBlank() && Files.isDirectory(Path.of(runtime)) ? Path.of(runtime) : Path.of("/tmp");
        return base.resolve("swarmhub-" + System.getProperty("user.name"));
    }

    /**
     * The socket, after checking that a socket outside the project is in a directory of this user's
     * alone (0700, not a link): another user's directory could hold a socket that reads every
     * command line and token sent to it.
     */
    public static Path checkedSocket(Path root) throws IOException {
        return checkedSocket(root, false);
    }

    /** As {@link #checkedSocket(Path)}, for the hub: creates the user's directory of sockets when missing. */
    static Path checkedSocket(Path root, boolean createDirectory) throws IOException {
        Path socket = socket(root);
        Path directory = socket.getParent();
        if (directory.equals(root.resolve(".swarm"))) {
            return socket;
        }
        if (createDirectory) {
            try {
                Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } catch (FileAlreadyExistsException existing) {
                // checked below like one just made
            }
        }
        checkPrivate(directory);
        return socket;
    }

    static void checkPrivate(Path directory) throws IOException {
        String user = System.getProperty("user.name");
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(directory.toString(), null, "no hub has made its socket here yet");
        }
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)
                || !Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS).getName().equals(user)
                || !Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY)) {
            throw new IOException(directory + " (where the hub's socket goes, the project's path being too long for one) must be a directory"
                    + " of " + user + "'s alone, mode 0700: remove it or fix its owner and mode");
        }
    }

    public static Path info(Path root) {
        return root.resolve(".swarm").resolve(INFO);
    }

    /** The hub's own log (written by Logback, rotated by size: hub.log.1 is the one before). */
    public static Path log(Path root) {
        return root.resolve(".swarm").resolve("hub.log");
    }

    /** The background hub's redirected stdout and stderr: what bypasses the log, such as a JVM's crash report. */
    public static Path output(Path root) {
        return root.resolve(".swarm").resolve("hub.out");
    }

    /** The directory of supervised processes' output files. */
    public static Path runs(Path root) {
        return root.resolve(".swarm").resolve("runs");
    }

    /** Where a supervised agent's stdout and stderr go (its older parts beside it, numbered). */
    public static Path runOutput(Path root, String agent) {
        return runs(root).resolve(agent + ".log");
    }

    /** Whether the project's hub.json announces that its hub marks running commands. */
    public static boolean announcesKeepAlive(Path root) {
        try {
            return KEEPALIVE_ANNOUNCED.matcher(Files.readString(info(root))).find();
        } catch (IOException noHubJson) {
            return false;
        }
    }
}
