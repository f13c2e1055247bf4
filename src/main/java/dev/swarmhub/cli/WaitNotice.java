package dev.swarmhub.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * While a waiting command ({@code lock acquire --wait}, {@code inbox --wait}) runs through the
 * hub for a terminal, says on stderr what it waits for and behind whom once it has waited a
 * second. The hub answers a command only at its end, so the client asks it ({@code lock who}) on a
 * connection of its own. Nothing is said to a pipe: a script reads only the answer.
 */
final class WaitNotice implements AutoCloseable {

    /** A wait shorter than this needs no notice. */
    private static final long QUIET_MS = 1_000;
    /** Options of lock acquire that take a value (their value is no resource; the global ones: ClientSide's). */
    private static final Set<String> ACQUIRE_WITH_VALUES = Set.of("--ttl", "--wait", "--reason", "--mode");

    private final Thread thread;

    private WaitNotice(Thread thread) {
        this.thread = thread;
    }

    /** Starts the notice for a waiting command when stderr is a terminal; a no-op otherwise. */
    static WaitNotice start(Path root, List<String> arguments, String command, Map<String, String> environment, Path workingDirectory) {
        if (!waits(arguments, command) || !stderrIsATerminal()) {
            return new WaitNotice(null);
        }
        Thread thread = Thread.ofPlatform().daemon().name("swarm-wait-notice").start(() -> {
            try {
                Thread.sleep(QUIET_MS);
                System.err.print(describe(root, arguments, command, environment, workingDirectory));
            } catch (InterruptedException answered) {
                // the answer came first
            } catch (IOException unreachable) {
                // the notice is a courtesy: the command's own answer says what happened
            }
        });
        return new WaitNotice(thread);
    }

    static boolean waits(List<String> arguments, String command) {
        return (command.equals("lock acquire") || command.equals("inbox")) && SwarmClient.optionValue(arguments, "--wait") != null;
    }

    /** What the command waits for: the resources and who holds them now, or mail. */
    static String describe(Path root, List<String> arguments, String command, Map<String, String> environment, Path workingDirectory)
            throws IOException {
        String wait = SwarmClient.optionValue(arguments, "--wait");
        if (command.equals("inbox")) {
            return "swarm: waiting up to " + wait + " for a message (Ctrl-C stops)\n";
        }
        StringBuilder notice = new StringBuilder();
        for (String resource : resources(arguments)) {
            String held = SwarmClient.exchange(root, new String[] {"lock", "who", resource}, environment, workingDirectory).out();
            notice.append("swarm: waiting up to ").append(wait).append(" for ").append(resource).append(", held now by:\n");
            for (String line : held.strip().split("\n")) {
                notice.append("  ").append(line.strip().replaceAll("\\s+", " ")).append('\n');
            }
        }
        return notice.toString();
    }

    /** The words after "acquire" that are neither options nor their values. */
    private static List<String> resources(List<String> arguments) {
        List<String> resources = new ArrayList<>();
        boolean afterAcquire = false;
        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            if (ACQUIRE_WITH_VALUES.contains(argument) || ClientSide.OPTIONS_WITH_VALUES.contains(argument)) {
                i++;
            } else if (argument.equals("acquire") && !afterAcquire) {
                afterAcquire = true;
            } else if (afterAcquire && !argument.startsWith("-")) {
                resources.add(argument);
            }
        }
        return resources;
    }

    private static boolean stderrIsATerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException notLinux) {
            return false;
        }
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.interrupt();
        }
    }
}
