package dev.swarmhub.cli;

import dev.swarmhub.host.PaneTyper;
import dev.swarmhub.host.Tmux;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Test helper process: types lines into tmux panes with {@link PaneTyper}. Arguments: the tmux
 * socket, the pane lock directory and the tmux timeout in milliseconds. Each input line is {@code <pane>\t<text>}; each answer is
 * {@code typed} or {@code failed: why}.
 */
public final class PaneTypeWorker {

    public static void main(String[] args) throws IOException {
        PaneTyper typer = new PaneTyper(new Tmux(args[0], Duration.ofMillis(Long.parseLong(args[2]))), Path.of(args[1]));
        BufferedReader typings = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter answers = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        answers.println("ready");
        for (String line = typings.readLine(); line != null; line = typings.readLine()) {
            String[] typing = line.split("\t", 2);
            PaneTyper.Outcome outcome = typer.type(typing[0], typing[1]);
            answers.println(outcome.typed() ? "typed" : "failed: " + outcome.failure());
        }
    }
}
