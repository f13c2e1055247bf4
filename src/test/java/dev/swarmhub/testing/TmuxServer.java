package dev.swarmhub.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A private tmux server for a test (its own socket), whose panes run stand-in agents: copies of
 * the sleep program named like agents (claude, codex) or like a bare interpreter (node).
 */
public final class TmuxServer implements AutoCloseable {

    private final Path socket;
    private final Path bin;

    private TmuxServer(Path socket, Path bin) {
        this.socket = socket;
        this.bin = bin;
    }

    /** Starts a server in {@code work} with a first pane running {@code firstProgram} in {@code directory}. */
    public static TmuxServer start(Path work, Path directory, String firstProgram) {
        try {
            Path bin = Files.createDirectories(work.resolve("bin"));
            for (String name : List.of("claude", "codex", "node")) {
                Files.copy(Path.of("/bin/sleep"), bin.resolve(name), StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
            }
            TmuxServer server = new TmuxServer(work.resolve("tmux.sock"), bin);
            server.tmux("new-session", "-d", "-s", "swarmtest", "-x", "200", "-y", "50", "-c", directory.toString(),
                    server.program(firstProgram));
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String socket() {
        return socket.toString();
    }

    /** A command line running the stand-in program for an hour. */
    public String program(String name) {
        return bin.resolve(name) + " 3600";
    }

    /** Opens a pane running the stand-in in the directory; returns its pane id (%N). */
    public String newPane(Path directory, String program) {
        return tmux("split-window", "-d", "-P", "-F", "#{pane_id}", "-c", directory.toString(), program(program));
    }

    /** Opens a pane running a shell command in the directory; returns its pane id (%N). */
    public String newShellPane(Path directory, String command) {
        return tmux("split-window", "-d", "-P", "-F", "#{pane_id}", "-c", directory.toString(), command);
    }

    /** The pane's whole history and screen, wrapped lines joined. */
    public List<String> capture(String pane) {
        return tmux("capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", pane).lines().toList();
    }

    public List<String> paneIds() {
        return tmux("list-panes", "-a", "-F", "#{pane_id}").lines().toList();
    }

    public String tmux(String... args) {
        List<String> command = new ArrayList<>(List.of("tmux", "-S", socket.toString()));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException("tmux " + String.join(" ", args) + " failed: " + out);
            }
            return out.strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            tmux("kill-server");
        } catch (IllegalStateException alreadyGone) {
            // the server exits by itself when its last pane closes
        }
    }
}
