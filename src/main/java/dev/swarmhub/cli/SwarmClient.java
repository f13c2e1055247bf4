package dev.swarmhub.cli;

import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.messages.Messages;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The jar's entry point, kept lean because agents run it hundreds of times: it sends the command
 * line to the project's hub over its Unix socket and prints the answer, starting the hub in the
 * background when none runs. Commands that manage the hub, {@code --no-hub}, help and version
 * run here in-process on the store ({@link Swarm}).
 */
public final class SwarmClient {

    /** A hub marks a running command every second; this long without a word from it, it is paused or hung. */
    static final Duration HUB_SILENCE_LIMIT = Duration.ofSeconds(10);
    /** How long a hook waits for the hub to take its connection (a paused hub's full backlog) before it runs on the store itself. */
    private static final Duration HOOK_CONNECT_LIMIT = Duration.ofSeconds(2);

    /** Sent with the environment: this client's pid, so the hub can tell the command's own process from an agent's. */
    static final String CLIENT_PID = "SWARM_CLIENT_PID";

    private SwarmClient() {
    }

    public static void main(String[] args) {
        Map<String, String> environment = System.getenv();
        Path workingDirectory = Path.of("").toAbsolutePath();
        List<String> arguments = new ArrayList<>(List.of(args));
        boolean noHub = arguments.remove("--no-hub");
        ClientSide clientSide = ClientSide.load();
        if (noHub || clientSide.runsInClient(arguments)) {
            Swarm.main(arguments.toArray(String[]::new));
            return;
        }
        Path root;
        try {
            root = ProjectRoot.find(optionValue(arguments, "--root"), environment.get("SWARM_ROOT"), workingDirectory);
        } catch (SwarmException noProject) {
            Swarm.main(args); // reports the problem the same way as every other command
            return;
        }
        if (HookCommand.NAME.equals(clientSide.command(arguments))) {
            hook(root, arguments, environment, workingDirectory);
            return;
        }
        try {
            switch (reach(root, HUB_SILENCE_LIMIT)) {
                case REFUSED -> HubCommands.startInBackground(root);
                case SILENT -> throw new HubSilentException();
                case ACCEPTED -> { }
            }
            readTextFromStdin(clientSide, arguments);
            Map<String, String> sent = new HashMap<>(environment);
            sent.put(CLIENT_PID, Long.toString(ProcessHandle.current().pid()));
            CliFrames.Response response;
            try (WaitNotice ignored = WaitNotice.start(root, arguments, clientSide.command(arguments), sent, workingDirectory)) {
                response = exchange(root, arguments.toArray(String[]::new), sent, workingDirectory);
            }
            print(System.out, response.out());
            print(System.err, response.err());
            System.exit(response.exitCode());
        } catch (HubSilentException silent) {
            System.err.println(silentHub(root, HubCommands.runningHubPid(root).map(Object::toString).orElse("?")));
            System.exit(1);
        } catch (IOException | InterruptedException | SwarmException e) {
            System.err.println(unreachableHub(root, e.getMessage()));
            System.exit(1);
        }
    }

    /**
     * For a command line the native relay sent: whether this client must run it instead (the
     * hub answers {@link CliFrames#RUN_IN_CLIENT} and the relay hands the command over): what
     * this client runs itself, a hook (its event on stdin), a text to read from stdin, or a wait
     * that deserves a notice at a terminal.
     */
    static boolean belongsToTheClient(String[] args, Map<String, String> environment) {
        String relay = environment.get(CliFrames.RELAY_VARIABLE);
        if (relay == null) {
            return false; // the JVM client sorted the command line out before sending it
        }
        List<String> arguments = List.of(args);
        ClientSide clientSide = RelayedCommands.CLIENT_SIDE;
        String command = clientSide.command(arguments);
        return arguments.contains("--no-hub") || clientSide.runsInClient(arguments) || HookCommand.NAME.equals(command)
                || arguments.contains("-") && clientSide.readsTextFromStdin(arguments)
                || relay.equals(CliFrames.RELAY_AT_TERMINAL) && WaitNotice.waits(arguments, command);
    }

    /**
     * Words that make the native relay hand a command line over without asking the hub: the ways
     * out of a paused or hung hub (--no-hub, down), what needs no hub (help, version, up, status)
     * and hooks, which must answer at once. An argument equal to one hands over wherever it stands
     * (a file named "down" too): the JVM client then does as always, only slower.
     */
    static final List<String> NEVER_RELAYED = List.of("--no-hub", "down", "up", "status", HookCommand.NAME, "-h", "--help", "-V", "--version");

    /** The table, read once in the hub. */
    private static final class RelayedCommands {
        static final ClientSide CLIENT_SIDE = ClientSide.load();
    }

    static String silentHub(Object root, Object pid) {
        return "swarm: the hub of " + root + " (pid " + pid + ") has not answered for " + HUB_SILENCE_LIMIT.toSeconds()
                + " s: it is paused (kill -CONT " + pid + " resumes it) or hung (swarm down stops it); --no-hub works on the store directly";
    }

    static String unreachableHub(Object root, Object why) {
        return "swarm: cannot reach the hub of " + root + ": " + why + " (--no-hub works on the store directly)";
    }

    /** Why a command's outcome is unknown: the hub went away while it ran. */
    static final String HUB_CLOSED = "the hub closed the connection before answering: it stopped or was killed"
            + " (whether the command was done is unknown: look before repeating it)";

    static CliFrames.Response exchange(Path root, String[] args, Map<String, String> environment, Path workingDirectory) throws IOException {
        return exchange(root, args, environment, workingDirectory, HUB_SILENCE_LIMIT);
    }

    /**
     * One command through the hub; fails with {@link HubSilentException} when the hub says nothing
     * for {@code silenceLimit}. The limit holds only for a hub known to send marks (announced in
     * its hub.json, or by a mark heard): a hub of an older jar sends none, and its long waits must
     * not be cut.
     */
    static CliFrames.Response exchange(Path root, String[] args, Map<String, String> environment, Path workingDirectory,
                                       Duration silenceLimit) throws IOException {
        return exchange(root, args, environment, workingDirectory, silenceLimit, null);
    }

    /**
     * A hook's command through the hub in one connection (a hook comes with every tool call):
     * as {@link #exchange}, but the hub must take the connection within {@link #HOOK_CONNECT_LIMIT}
     * whatever hub it is, since a paused hub's full backlog would hold the connect for good.
     */
    static CliFrames.Response relayHook(Path root, String[] args, Map<String, String> environment, Path workingDirectory) throws IOException {
        return exchange(root, args, environment, workingDirectory, HUB_SILENCE_LIMIT, HOOK_CONNECT_LIMIT);
    }

    /** {@code connectLimit}: how long the connect may take, whether or not the hub sends marks; null: as the silence limit. */
    private static CliFrames.Response exchange(Path root, String[] args, Map<String, String> environment, Path workingDirectory,
                                               Duration silenceLimit, Duration connectLimit) throws IOException {
        boolean marks = HubFiles.announcesKeepAlive(root);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             SilenceWatch watch = new SilenceWatch(channel, connectLimit == null ? silenceLimit : connectLimit, connectLimit != null || marks)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(HubFiles.checkedSocket(root)));
                watch.connected(silenceLimit, marks);
                CliFrames.writeRequest(CliFrames.output(channel), args, environment, workingDirectory.toString());
                return CliFrames.readResponse(CliFrames.input(channel), watch::heard);
            } catch (ClosedChannelException closedByTheWatch) {
                throw new HubSilentException();
            } catch (EOFException ended) {
                throw new IOException(HUB_CLOSED, ended);
            }
        }
    }

    /** The hub accepted the command but then said nothing for the silence limit. */
    static final class HubSilentException extends IOException {
        HubSilentException() {
            super("the hub has not answered: it is paused or hung");
        }
    }

    /**
     * Closes the channel once the hub has been silent for the limit (no connection, no mark that
     * the command still runs, no answer), which ends the client's blocked connect or read. Long
     * waits (--wait 30s) are not cut: the hub marks them every second. Armed only once the hub is
     * known to send marks.
     */
    private static final class SilenceWatch implements AutoCloseable {
        private final SocketChannel channel;
        private long limitNanos;
        private long lastHeard = System.nanoTime();
        private boolean armed;
        private boolean done;

        SilenceWatch(SocketChannel channel, Duration limit, boolean armed) {
            this.channel = channel;
            this.limitNanos = limit.toNanos();
            this.armed = armed;
            Thread.ofVirtual().name("swarm-hub-silence").start(this::watch); // a virtual thread: a hook's exchange starts one, and a platform thread costs more than the hook
        }

        /** The hub took the connection: from now on it may be silent for {@code limit}, counted only when {@code armed}. */
        synchronized void connected(Duration limit, boolean armed) {
            limitNanos = limit.toNanos();
            lastHeard = System.nanoTime();
            this.armed = armed;
            notifyAll();
        }

        synchronized void heard() {
            lastHeard = System.nanoTime();
            armed = true; // this hub sends marks (also when its hub.json was missing)
            notifyAll();
        }

        private synchronized void watch() {
            try {
                for (long left = limitNanos; !done; left = lastHeard + limitNanos - System.nanoTime()) {
                    if (!armed) {
                        wait();
                    } else if (left <= 0) {
                        channel.close();
                        return;
                    } else {
                        wait(left / 1_000_000 + 1);
                    }
                }
            } catch (IOException | InterruptedException ignored) {
                // closing failed or the process ends: nothing left to watch
            }
        }

        @Override
        public synchronized void close() {
            done = true;
            notifyAll();
        }
    }

    /** True when the project's hub takes a connection on its socket within the silence limit. */
    static boolean accepts(Path root) {
        return reach(root, HUB_SILENCE_LIMIT) == Reach.ACCEPTED;
    }

    /** How a connection to the hub's socket went: taken, refused (no hub listens), or not taken within the limit. */
    enum Reach { ACCEPTED, REFUSED, SILENT }

    /** A connection to the hub's socket, cut after {@code limit}: a paused hub's full backlog would block it for good. */
    static Reach reach(Path root, Duration limit) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             SilenceWatch ignored = new SilenceWatch(channel, limit, true)) {
            channel.connect(UnixDomainSocketAddress.of(HubFiles.checkedSocket(root)));
            return Reach.ACCEPTED;
        } catch (ClosedChannelException cutByTheWatch) { // also before connect began, when this thread got no CPU for the limit
            return Reach.SILENT;
        } catch (IOException e) {
            return Reach.REFUSED;
        }
    }

    /**
     * A client's hook (see {@link HookCommand}): its event is read here, and the hub handles it
     * when it runs (a hook is on the agent's every prompt and tool call: a relayed command costs
     * this process a fifth of the CPU of one run here); else it runs here, on the store. Whatever
     * fails, the hook prints nothing and exits 0: the command notes why in .swarm/hooks.log.
     */
    private static void hook(Path root, List<String> arguments, Map<String, String> environment, Path workingDirectory) {
        try {
            if (arguments.size() - arguments.indexOf(HookCommand.NAME) == 2) { // CLIENT only: the event comes on stdin (Codex's notify passes it)
                arguments.add(HookCommand.readEvent(System.in));
            }
            Map<String, String> sent = new HashMap<>(environment);
            sent.put(CLIENT_PID, Long.toString(ProcessHandle.current().pid()));
            print(System.out, relayHook(root, arguments.toArray(String[]::new), sent, workingDirectory).out());
            System.exit(0);
        } catch (IOException | RuntimeException unreachable) {
            // run here instead; a bad event is noted there
        }
        Swarm.main(arguments.toArray(String[]::new));
    }

    /** A message text given as "-" is read here: the hub runs the command without this process's stdin. */
    private static void readTextFromStdin(ClientSide clientSide, List<String> arguments) throws IOException {
        int dash = arguments.indexOf("-");
        if (dash >= 0 && clientSide.readsTextFromStdin(arguments)) {
            arguments.set(dash, standardInput());
        }
    }

    /** Standard input as text, up to one byte past the largest message text allowed (so a longer one is refused, not cut). */
    static String standardInput() throws IOException {
        return new String(System.in.readNBytes(Messages.LARGEST_TEXT_BYTES + 1), StandardCharsets.UTF_8);
    }

    static String optionValue(List<String> arguments, String option) {
        for (int i = 0; i < arguments.size(); i++) {
            if (arguments.get(i).equals(option) && i + 1 < arguments.size()) {
                return arguments.get(i + 1);
            }
            if (arguments.get(i).startsWith(option + "=")) {
                return arguments.get(i).substring(option.length() + 1);
            }
        }
        return null;
    }

    private static void print(PrintStream stream, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        stream.write(bytes, 0, bytes.length);
        stream.flush();
    }
}
