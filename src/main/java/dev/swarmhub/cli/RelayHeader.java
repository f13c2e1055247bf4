package dev.swarmhub.cli;

import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.leases.ResourceParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Writes the C header of the native relay (src/main/c/swarm-relay.c) from the constants the JVM
 * client and the hub use, so the two clients share one definition of the CLI channel: its frame
 * codes, forwarded variables, files and messages. The build runs it: {@code RelayHeader FILE}.
 */
final class RelayHeader {

    private RelayHeader() {
    }

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text(), StandardCharsets.UTF_8);
    }

    static String text() {
        String forwarded = Arrays.stream(CliFrames.FORWARDED_VARIABLES).map(RelayHeader::literal).collect(Collectors.joining(", "));
        String neverRelayed = SwarmClient.NEVER_RELAYED.stream().map(RelayHeader::literal).collect(Collectors.joining(", "));
        return "/* Written by dev.swarmhub.cli.RelayHeader from the Java client's constants: do not edit. */\n"
                + define("SWARM_STILL_RUNNING", "(" + CliFrames.STILL_RUNNING + ")")
                + define("SWARM_RUN_IN_CLIENT", "(" + CliFrames.RUN_IN_CLIENT + ")")
                + define("SWARM_MAX_STRING", Integer.toString(CliFrames.MAX_STRING))
                + define("SWARM_SILENCE_LIMIT_MS", Long.toString(SwarmClient.HUB_SILENCE_LIMIT.toMillis()))
                + define("SWARM_SOCKET_PATH_LIMIT", Integer.toString(HubFiles.SOCKET_PATH_LIMIT))
                + define("SWARM_SOCKET", literal(HubFiles.socket(Path.of("")).toString()))
                + define("SWARM_INFO", literal(HubFiles.info(Path.of("")).toString()))
                + define("SWARM_RELAY_ANNOUNCED", literal("\"" + HubFiles.RELAY_FIELD + "\":" + HubFiles.RELAY_VERSION))
                + define("SWARM_RELAY_VARIABLE", literal(CliFrames.RELAY_VARIABLE))
                + define("SWARM_RELAY_AT_TERMINAL", literal(CliFrames.RELAY_AT_TERMINAL))
                + define("SWARM_CLIENT_PID_VARIABLE", literal(SwarmClient.CLIENT_PID))
                + define("SWARM_WORKTREES", literal("/" + ResourceParser.WORKTREES))
                + define("SWARM_SILENT_HUB", literal(SwarmClient.silentHub("%1$s", "%2$s")))
                + define("SWARM_UNREACHABLE_HUB", literal(SwarmClient.unreachableHub("%1$s", "%2$s")))
                + define("SWARM_HUB_CLOSED", literal(SwarmClient.HUB_CLOSED))
                + "static const char *const SWARM_FORWARDED_VARIABLES[] = {" + forwarded + "};\n"
                + "static const char *const SWARM_NEVER_RELAYED[] = {" + neverRelayed + "};\n";
    }

    private static String define(String name, String value) {
        return "#define " + name + " " + value + "\n";
    }

    private static String literal(String text) {
        if (!text.chars().allMatch(c -> c >= ' ' && c < 127)) {
            throw new IllegalArgumentException("not printable ASCII: " + text);
        }
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
