package dev.swarmhub.host;

import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Binds agents to tmux panes and tells whether a bound pane may be typed into. Text typed into
 * a terminal goes to its foreground process group: at a shell prompt that is the shell, which
 * runs the text as a command. So a pane is typed into only while the process tmux started in it
 * is still the bound one and the foreground group of its terminal is the agent's own process,
 * alive and not a shell. Linux only: the process's terminal and groups come from /proc.
 */
public final class PaneGuard {

    /** Programs that run what is typed into them as commands. */
    private static final Set<String> SHELLS = Set.of("sh", "bash", "rbash", "dash", "ash", "zsh", "fish", "ksh", "ksh93", "mksh",
            "pdksh", "oksh", "loksh", "yash", "tcsh", "csh", "nu", "elvish", "xonsh", "pwsh", "busybox", "rc", "es");
    /** Process start times from one host may differ by the clock-tick rounding of the probe. */
    private static final long START_TIME_TOLERANCE_MS = 1_000;

    private final LocalProcesses processes = new LocalProcesses();

    /** A process as /proc/PID/stat tells it: its group, its terminal and that terminal's foreground group. */
    record Stat(long pid, String name, long processGroup, long terminal, long foregroundGroup) {
    }

    /**
     * The binding of pane {@code pane} of {@code tmux}'s server to an agent's process: {@code pid}
     * when given (it must run in that pane), else the leader of the pane's foreground group,
     * which must not be {@code callerPid} (the registering command itself: the agent would be a
     * process about to exit). Refused when the agent's process would be a shell.
     */
    public PaneBinding bind(Tmux tmux, String pane, Long pid, Long callerPid) {
        Tmux.PaneTerminal terminal = tmux.pane(pane);
        long paneStarted = started(terminal.pid()).orElseThrow(() -> SwarmException.badInput(
                "tmux pane " + pane + "'s process " + terminal.pid() + " has exited"));
        Stat paneProcess = stat(terminal.pid()).orElseThrow(() -> SwarmException.badInput(
                "tmux pane " + pane + "'s process " + terminal.pid() + " has exited"));
        long agentPid;
        if (pid != null) {
            Stat agent = stat(pid).orElseThrow(() -> SwarmException.badInput("no process " + pid + " on this host"));
            if (agent.terminal() != paneProcess.terminal()) {
                throw SwarmException.badInput("process " + pid + " (" + agent.name() + ") does not run in tmux pane " + pane
                        + " (" + terminal.tty() + ") of " + tmux.socket());
            }
            agentPid = pid;
        } else {
            agentPid = paneProcess.foregroundGroup();
            if (callerPid != null && agentPid == callerPid) {
                throw SwarmException.badInput("tmux pane " + pane + " runs only this command in its foreground, no agent: "
                        + "register from the agent's process (its tool calls), or pass --pid");
            }
        }
        Stat agent = stat(agentPid).orElseThrow(() -> SwarmException.badInput("cannot tell the agent's process in tmux pane " + pane
                + " (its foreground group " + paneProcess.foregroundGroup() + " has no leader): pass --pid"));
        if (isShell(agent.name())) {
            throw SwarmException.badInput("process " + agentPid + " in tmux pane " + pane + " is a shell (" + agent.name()
                    + "): messages typed into it would run as commands; start the agent in the pane first, or pass its --pid");
        }
        long agentStarted = started(agentPid).orElseThrow(() -> SwarmException.badInput("process " + agentPid + " has exited"));
        return new PaneBinding(tmux.socket(), pane, terminal.pid(), paneStarted, agentPid, agentStarted);
    }

    /** Why the bound pane, which tmux describes as {@code terminal} now, must not be typed into, or null when it may. */
    String refusal(PaneBinding binding, Tmux.PaneTerminal terminal) {
        String pane = "tmux pane " + binding.pane() + " of " + binding.socket();
        if (terminal.pid() != binding.panePid() || !sameStart(started(terminal.pid()), binding.panePidStartedAt())) {
            return pane + " is not the bound one any more (it runs process " + terminal.pid() + ", not " + binding.panePid() + ")";
        }
        Optional<Stat> agent = stat(binding.agentPid());
        if (agent.isEmpty() || !sameStart(started(binding.agentPid()), binding.agentStartedAt())) {
            return "the agent's process " + binding.agentPid() + " has exited";
        }
        if (isShell(agent.get().name())) {
            return "the agent's process " + binding.agentPid() + " is a shell (" + agent.get().name() + ")";
        }
        Optional<Stat> paneProcess = stat(terminal.pid());
        if (paneProcess.isEmpty()) {
            return pane + "'s process " + terminal.pid() + " has exited";
        }
        long foreground = paneProcess.get().foregroundGroup();
        if (agent.get().terminal() != paneProcess.get().terminal() || agent.get().processGroup() != foreground) {
            String holder = stat(foreground).map(leader -> leader.name() + ", pid " + leader.pid()).orElse("group " + foreground);
            return "the foreground of " + pane + " is " + holder + ", not the agent's process " + binding.agentPid();
        }
        return null;
    }

    private OptionalLong started(long pid) {
        return processes.startedAt(pid);
    }

    private static boolean sameStart(OptionalLong started, long expected) {
        return started.isPresent() && Math.abs(started.getAsLong() - expected) <= START_TIME_TOLERANCE_MS;
    }

    /**
     * The program a hook runs for: the nearest ancestor of {@code pid} that is not a shell (a
     * client runs its hook commands through one), or empty when there is none.
     */
    public static OptionalLong nearestProgramAbove(long pid) {
        Optional<ProcessHandle> process = ProcessHandle.of(pid).flatMap(ProcessHandle::parent);
        for (int depth = 0; process.isPresent() && depth < 32; depth++, process = process.get().parent()) {
            Optional<String> name = process.get().info().command().map(command -> Path.of(command).getFileName().toString());
            if (name.isPresent() && !isShell(name.get())) {
                return OptionalLong.of(process.get().pid());
            }
        }
        return OptionalLong.empty();
    }

    static boolean isShell(String name) {
        String base = name.startsWith("-") ? name.substring(1) : name; // a login shell's name
        return SHELLS.contains(base);
    }

    /** Reads /proc/PID/stat; empty when the process does not exist. */
    static Optional<Stat> stat(long pid) {
        String line;
        try {
            line = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException gone) {
            return Optional.empty();
        }
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')'); // the name may hold spaces and parentheses
        String[] fields = line.substring(close + 2).split(" ");
        // after the name: state ppid pgrp session tty_nr tpgid ...
        return Optional.of(new Stat(pid, executableName(pid).orElse(line.substring(open + 1, close)), Long.parseLong(fields[2]),
                Long.parseLong(fields[4]), Long.parseLong(fields[5])));
    }

    /** The program's file name (stat's name is cut at 15 characters and set by the program). */
    private static Optional<String> executableName(long pid) {
        return ProcessHandle.of(pid).flatMap(process -> process.info().command()).map(command -> Path.of(command).getFileName().toString());
    }
}
