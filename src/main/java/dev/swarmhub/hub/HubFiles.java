package dev.swarmhub.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Where a project's hub keeps its files; free of heavy dependencies, for the lean CLI client. */
public final class HubFiles {

    private static final String INFO = "hub.json";
    /** The hub.json field by which a hub announces that it marks running commands (older hubs did not). */
    static final String KEEPALIVE_FIELD = "keepAliveMs";
    private static final Pattern KEEPALIVE_ANNOUNCED = Pattern.compile("\"" + KEEPALIVE_FIELD + "\"\\s*:\\s*\\d+");

    private HubFiles() {
    }

    public static Path socket(Path root) {
        return root.resolve(".swarm").resolve("hub.sock");
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

    /** Whether the hub.json beside this hub socket announces that its hub marks running commands. */
    public static boolean announcesKeepAlive(Path socket) {
        try {
            return KEEPALIVE_ANNOUNCED.matcher(Files.readString(socket.resolveSibling(INFO))).find();
        } catch (IOException noHubJson) {
            return false;
        }
    }
}
