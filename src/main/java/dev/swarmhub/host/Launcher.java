package dev.swarmhub.host;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starts and stops the processes the hub supervises. A process starts in a session of its own
 * ({@code setsid}), so it leads its own process group: a signal to the group reaches what it
 * started (a shell's children), and the hub's end (even {@code kill -9}) reaches none of them.
 * Its input is /dev/null (an agent waiting on input would wait forever) and its output is
 * appended to a file, not a pipe: a pipe would break, and the process with it, when the hub dies.
 * Arguments go to the program as they are, never through a shell.
 */
public final class Launcher {

    private static final String SETSID = "/usr/bin/setsid";
    private static final long KILL_COMMAND_TIMEOUT_MS = 5_000;

    private Launcher() {
    }

    /**
     * Starts the command in {@code cwd} with exactly {@code environment} (none of the hub's own
     * unless given: it may hold what the process must not have), its output appended to {@code output}.
     */
    public static Process start(List<String> command, Path cwd, Map<String, String> environment, Path output) throws IOException {
        List<String> line = new ArrayList<>(List.of(SETSID));
        line.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(line).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(environment);
        return builder.start();
    }

    /**
     * The program as it would be run from {@code cwd} with {@code path} as PATH: a name with a
     * slash is a path (relative to cwd), any other is looked up in PATH; empty when it is not an
     * executable file.
     */
    public static Optional<Path> find(String program, Path cwd, String path) {
        if (program.contains("/")) {
            Path file = cwd.resolve(program);
            return Files.isRegularFile(file) && Files.isExecutable(file) ? Optional.of(file) : Optional.empty();
        }
        return Stream.of((path == null ? "" : path).split(":")).filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, program))
                .filter(file -> Files.isRegularFile(file) && Files.isExecutable(file)).findFirst();
    }

    /**
     * The processes of a supervised process, seen now: itself, the members of its process group
     * (it leads one) and its descendants, also those that left the group. Taken before any
     * signal: once a parent dies its children are re-parented and no longer found below it.
     */
    public static Set<ProcessHandle> tree(long pid) {
        Set<ProcessHandle> found = new LinkedHashSet<>();
        ProcessHandle.of(pid).ifPresent(process -> {
            found.add(process);
            process.descendants().forEach(found::add);
        });
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            entries.map(entry -> entry.getFileName().toString()).filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong).filter(member -> PaneGuard.stat(member).filter(stat -> stat.processGroup() == pid).isPresent())
                    .forEach(member -> ProcessHandle.of(member).ifPresent(found::add));
        } catch (IOException | java.io.UncheckedIOException noProc) {
            // not Linux: the descendants found above are all there is
        }
        return found;
    }

    /**
     * The process started for {@code agent} of the project at {@code root} since {@code notBefore}
     * (epoch ms) that leads its own group (a supervised process, or a tmux pane's once it runs the
     * program), found by the {@code SWARM_AGENT} and {@code SWARM_ROOT} its environment was given:
     * how a hub that died between starting a process and recording its pid finds it.
     */
    public static Optional<ProcessHandle> startedFor(String agent, Path root, long notBefore) {
        List<String> wanted = List.of("\0SWARM_AGENT=" + agent + "\0", "\0SWARM_ROOT=" + root + "\0");
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            return entries.map(entry -> entry.getFileName().toString()).filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong).filter(pid -> PaneGuard.stat(pid).filter(stat -> stat.processGroup() == pid).isPresent())
                    .filter(pid -> wanted.stream().allMatch(environment(pid)::contains)).map(ProcessHandle::of).flatMap(Optional::stream)
                    .filter(process -> process.info().startInstant().filter(start -> start.toEpochMilli() >= notBefore - 1_000).isPresent())
                    .min(java.util.Comparator.comparing(process -> process.info().startInstant().orElseThrow()));
        } catch (IOException | java.io.UncheckedIOException noProc) {
            return Optional.empty();
        }
    }

    /** The process's environment as given at its start, each entry between NULs; empty when it is gone or another user's. */
    private static String environment(long pid) {
        try {
            return "\0" + new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")), java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException notOurs) {
            return "";
        }
    }

    /**
     * Sends {@code signal} (TERM or KILL) to the process group led by {@code group} (any member
     * started since is in it too) and to each of {@code processes} still alive.
     */
    public static void signal(long group, Set<ProcessHandle> processes, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-s", signal, "--", "-" + group).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!kill.waitFor(KILL_COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                kill.destroyForcibly();
            }
        } catch (IOException e) {
            // no kill command: the processes are signalled one by one below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        signal(processes, signal);
    }

    /** Sends {@code signal} (TERM or KILL) to each of {@code processes} still alive. */
    public static void signal(Set<ProcessHandle> processes, String signal) {
        for (ProcessHandle process : processes) {
            if (process.isAlive()) {
                if (signal.equals("KILL")) {
                    process.destroyForcibly();
                } else {
                    process.destroy();
                }
            }
        }
    }
}
