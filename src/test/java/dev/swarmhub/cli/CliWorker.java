package dev.swarmhub.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Test helper process: runs one {@code swarm} command line per input line (arguments separated
 * by tabs) through the real CLI entry point and answers {@code <exit code>\t<stdout on one line>}.
 * Keeping the JVM warm lets many processes race on the same instant, round after round.
 */
public final class CliWorker {

    public static void main(String[] args) throws IOException {
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter answers = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter errors = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        answers.println("ready");
        for (String line = commands.readLine(); line != null; line = commands.readLine()) {
            StringWriter out = new StringWriter();
            int code = Swarm.run(line.split("\t"), System.getenv(), Path.of("").toAbsolutePath(), new PrintWriter(out), errors);
            answers.println(code + "\t" + out.toString().strip().replace('\n', ' '));
        }
    }
}
