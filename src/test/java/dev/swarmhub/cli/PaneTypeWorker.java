package dev.swarmhub.cli;

import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.host.PaneGuard;
import dev.swarmhub.host.PaneTyper;
import dev.swarmhub.host.Tmux;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Test helper process: types lines into tmux panes with {@link PaneTyper}, each pane bound to its
 * foreground process when first named. Arguments: the tmux socket, the pane lock directory and
 * the tmux timeout in milliseconds. Each input line is {@code <pane>\t<text>}; each answer is
 * {@code typed} or {@code failed: why}. A line {@code timeout\t<ms>} sets a new tmux timeout for the
 * typings after it (answer {@code ok}).
 */
public final class PaneTypeWorker {

    public static void main(String[] args) throws IOException {
        Tmux tmux = new Tmux(args[0], Tmux.TIMEOUT, Path.of(args[1]));
        PaneTyper typer = new PaneTyper(Path.of(args[1]), Duration.ofMillis(Long.parseLong(args[2])));
        Map<String, PaneBinding> bindings = new HashMap<>();
        BufferedReader typings = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter answers = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        answers.println("ready");
        for (String line = typings.readLine(); line != null; line = typings.readLine()) {
            String[] typing = line.split("\t", 2);
            if (typing[0].equals("timeout")) {
                typer = new PaneTyper(Path.of(args[1]), Duration.ofMillis(Long.parseLong(typing[1])));
                answers.println("ok");
                continue;
            }
            PaneBinding binding = bindings.computeIfAbsent(typing[0], pane -> new PaneGuard().bind(tmux, pane, null, null));
            PaneTyper.Outcome outcome = typer.type(binding, typing[1]);
            answers.println(outcome.typed() ? "typed" : "failed: " + outcome.failure());
        }
    }
}
