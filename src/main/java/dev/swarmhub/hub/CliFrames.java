package dev.swarmhub.hub;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CLI channel's wire format over the hub's Unix socket, kept to java.io so the client loads
 * few classes. Request: args, environment (the variables the CLI reads), working directory.
 * Response: while the command runs, a {@link #STILL_RUNNING} mark every {@link #KEEPALIVE_MS} ms
 * (the client's evidence that the hub is alive), then exit code, stdout, stderr. Strings are
 * length-prefixed UTF-8 (writeUTF is limited to 64 KB, so bytes are written explicitly). Both
 * sides read and write through {@link #input} and {@link #output}: buffered, so that a frame is
 * one write and one read, not a system call per field (a hook's request has some thirty).
 */
public final class CliFrames {

    /** Environment variables a command may read; nothing else of the client's environment is sent. */
    public static final String[] FORWARDED_VARIABLES = {"SWARM_AGENT", "SWARM_TOKEN", "SWARM_ROOT", "SWARM_GUARD",
        "SWARM_TMUX_SOCKET", "SWARM_LAUNCHER", "TMUX", "TMUX_PANE", "TMUX_TMPDIR", "SWARM_CLIENT_PID",
        "CLAUDE_PID", "CLAUDE_ENV_FILE", "CLAUDE_PROJECT_DIR", // these three: for Claude Code's hooks
        "GIT_INDEX_FILE"}; // the index a commit is about to write (commit -a, commit FILE): the guard checks it
    /** Sent in place of an exit code (which is never negative) while the command still runs. */
    public static final int STILL_RUNNING = -1;
    public static final long KEEPALIVE_MS = 1_000;
    /**
     * Sent in place of an exit code to the native relay (src/main/c/swarm-relay.c) for a command
     * the JVM client must run (it manages the hub, reads standard input, prints help...): the relay
     * hands the command line over to it, and nothing has been done.
     */
    public static final int RUN_IN_CLIENT = -2;
    /**
     * The variable by which the native relay's request names itself; its value says whether the
     * relay's stderr is a terminal ({@link #RELAY_AT_TERMINAL}). The JVM client never sends it.
     */
    public static final String RELAY_VARIABLE = "SWARM_RELAY";
    public static final String RELAY_AT_TERMINAL = "terminal";
    public static final int MAX_STRING = 1 << 24;
    private static final int MAX_ITEMS = 10_000;

    private CliFrames() {
    }

    /** The frames a channel brings, read a buffer at a time. */
    public static DataInputStream input(ByteChannel channel) {
        return new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
    }

    /** Frames for a channel, each sent in one write when its writer flushes it. */
    public static DataOutputStream output(ByteChannel channel) {
        return new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
    }

    public record Request(String[] args, Map<String, String> environment, Path workingDirectory) {
    }

    public record Response(int exitCode, String out, String err) {
    }

    public static void writeRequest(DataOutputStream out, String[] args, Map<String, String> environment, String workingDirectory)
            throws IOException {
        out.writeInt(args.length);
        for (String arg : args) {
            writeString(out, arg);
        }
        int present = 0;
        for (String name : FORWARDED_VARIABLES) {
            present += environment.get(name) != null ? 1 : 0;
        }
        out.writeInt(present);
        for (String name : FORWARDED_VARIABLES) {
            String value = environment.get(name);
            if (value != null) {
                writeString(out, name);
                writeString(out, value);
            }
        }
        writeString(out, workingDirectory);
        out.flush();
    }

    public static Request readRequest(DataInputStream in) throws IOException {
        String[] args = new String[count(in)];
        for (int i = 0; i < args.length; i++) {
            args[i] = readString(in);
        }
        Map<String, String> environment = new LinkedHashMap<>();
        for (int i = count(in); i > 0; i--) {
            environment.put(readString(in), readString(in));
        }
        return new Request(args, environment, Path.of(readString(in)));
    }

    public static void writeResponse(DataOutputStream out, Response response) throws IOException {
        out.writeInt(response.exitCode());
        writeString(out, response.out());
        writeString(out, response.err());
        out.flush();
    }

    public static void writeStillRunning(DataOutputStream out) throws IOException {
        out.writeInt(STILL_RUNNING);
        out.flush();
    }

    /** Reads the answer, calling {@code heard} for each mark that the command still runs. */
    public static Response readResponse(DataInputStream in, Runnable heard) throws IOException {
        int exitCode = in.readInt();
        while (exitCode == STILL_RUNNING) {
            heard.run();
            exitCode = in.readInt();
        }
        return new Response(exitCode, readString(in), readString(in));
    }

    private static int count(DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > MAX_ITEMS) {
            throw new IOException("bad frame: " + count + " items");
        }
        return count;
    }

    private static void writeString(DataOutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_STRING) {
            throw new IOException("bad frame: string of " + length + " bytes");
        }
        byte[] text = in.readNBytes(length);
        if (text.length < length) { // the other side went away within the string: a cut answer is no answer
            throw new EOFException("frame cut after " + text.length + " of " + length + " bytes");
        }
        return new String(text, StandardCharsets.UTF_8);
    }
}
